// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
//   Basic realm="Registry Realm"
// A header may hold several challenges; parameter values are tokens or quoted
// strings whose commas do not split anything (scope="a:b:pull,push").
export interface Challenge {
  /** lower case: basic, bearer */
  scheme: string;
  /** parameter names in lower case */
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  // an unquoted value, leniently to the next comma or space (some servers leave URLs unquoted)
  const bare = (): string => {
    const start = i;
    while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
    return header.slice(start, i);
  };
  const quoted = (): string => {
    let v = '';
    i++; // opening quote
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      v += header[i++];
    }
    i++; // closing quote (or the end)
    return v;
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (!name) {
      i++; // a stray character: skip it rather than loop
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current) {
      // name=value: a parameter of the current challenge (token68 "abc==" ends in = too)
      i++;
      skipSpace();
      const value = header[i] === '"' ? quoted() : bare();
      current.params[name.toLowerCase()] = value;
      continue;
    }
    if (header[i] === '=' && !current) {
      i = start + name.length + 1;
      continue;
    }
    // a new scheme; what follows it (to the next comma-separated name=value) are its params
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}
