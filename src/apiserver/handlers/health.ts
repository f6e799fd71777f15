// /healthz, /livez and /readyz as upstream's healthz package answers them: "ok"
// or a 500, `?verbose` lists every check ("[+]etcd ok" ... "readyz check
// passed"), `?exclude=NAME` leaves one out, and /readyz/NAME asks one check.
export type HealthChecks = Record<string, () => boolean>;

export interface HealthAnswer {
  code: number;
  body: string;
}

export function healthAnswer(endpoint: 'healthz' | 'livez' | 'readyz', checks: HealthChecks, rest: string, query: URLSearchParams): HealthAnswer {
  const one = rest.replace(/^\/+/, '');
  if (one) {
    const check = checks[one];
    if (!check) return { code: 404, body: '404 page not found\n' };
    return check() ? { code: 200, body: 'ok' } : { code: 500, body: `internal server error: ${one} check failed\n` };
  }
  const excluded = new Set(query.getAll('exclude'));
  const lines: string[] = [];
  let failed = false;
  for (const [name, check] of Object.entries(checks)) {
    if (excluded.has(name)) {
      lines.push(`[+]${name} excluded: ok`);
      continue;
    }
    const ok = check();
    failed ||= !ok;
    lines.push(ok ? `[+]${name} ok` : `[-]${name} failed: reason withheld`);
  }
  const verbose = query.has('verbose');
  if (!failed) return { code: 200, body: verbose ? `${lines.join('\n')}\n${endpoint} check passed\n` : 'ok' };
  return { code: 500, body: `${lines.join('\n')}\n${endpoint} check failed\n` };
}
