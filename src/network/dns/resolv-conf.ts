// resolv.conf as the C library reads it: nameservers (at most 3 count), the last
// search or domain line wins, options as written.

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...args] = line.split(/\s+/);
    if (key === 'nameserver' && args[0]) out.nameservers.push(args[0]);
    else if (key === 'search' || key === 'domain') out.search = args.filter(Boolean);
    else if (key === 'options') out.options.push(...args);
  }
  return out;
}

export function formatResolvConf(c: ResolvConf): string {
  let s = '';
  for (const ns of c.nameservers) s += `nameserver ${ns}\n`;
  if (c.search.length) s += `search ${c.search.join(' ')}\n`;
  if (c.options.length) s += `options ${c.options.join(' ')}\n`;
  return s;
}
