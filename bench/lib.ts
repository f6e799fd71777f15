// Shared bench helpers: an HTTPS client with the admin credentials and percentiles.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parse as parseYaml } from 'yaml';

export interface Reply {
  code: number;
  body: string;
}

export function adminClient(kubeconfig: string, port: number, maxSockets = 64) {
  const cfg = parseYaml(readFileSync(kubeconfig, 'utf8'));
  const user = cfg.users[0].user;
  const agent = new https.Agent({
    ca: Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64'),
    cert: Buffer.from(user['client-certificate-data'], 'base64'),
    key: Buffer.from(user['client-key-data'], 'base64'),
    keepAlive: true,
    maxSockets,
  });
  function request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    // Node frames DELETE bodies only with an explicit length
    const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/json' };
    if (payload) headers['content-length'] = String(payload.length);
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, method, path, agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
  /** Opens a watch and calls onLine for every event line; returns a stop function. */
  function watch(path: string, onLine: (line: string) => void, accept = 'application/json'): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method: 'GET', path, headers: { accept }, agent: new https.Agent({ ca: agent.options.ca, cert: agent.options.cert, key: agent.options.key }) }, (res) => {
        res.setEncoding('utf8');
        res.on('data', lineSplitter(onLine));
        res.on('error', () => {});
        resolve(() => req.destroy());
      });
      req.on('error', (e) => {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
      });
      req.end();
    });
  }
  return { request, watch, agent };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summary(name: string, samplesMs: number[], wallMs?: number): string {
  const s = [...samplesMs].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(2);
  const rate = wallMs ? `  ${(s.length / (wallMs / 1000)).toFixed(0)}/s` : '';
  return `${name.padEnd(34)} n=${String(s.length).padEnd(6)} p50=${f(percentile(s, 50))}ms  p99=${f(percentile(s, 99))}ms  max=${f(s[s.length - 1])}ms${rate}`;
}

/** Feeds whole lines (a watch's events) to onLine from a text stream's chunks. */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  };
}
