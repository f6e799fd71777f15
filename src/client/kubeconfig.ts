// Reads the credentials a client needs from a kubeconfig file (current context).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ClientConfig {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** plain HTTP over this unix socket instead of HTTPS to server (the server's in-process clients: apiserver/http/loopback.ts) */
  socketPath?: string;
}

const b64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64') : undefined);

export function loadKubeconfig(path: string): ClientConfig {
  const cfg = parse(readFileSync(path, 'utf8')) as any;
  const ctxName = cfg['current-context'];
  const ctx = (cfg.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? cfg.contexts?.[0]?.context;
  if (!ctx) throw new Error(`kubeconfig ${path} has no context`);
  const cluster = (cfg.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster;
  const user = (cfg.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`kubeconfig ${path} names no server for cluster ${ctx.cluster}`);
  const file = (p: unknown) => (typeof p === 'string' ? readFileSync(p) : undefined);
  return {
    server: cluster.server,
    ca: b64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
    cert: b64(user['client-certificate-data']) ?? file(user['client-certificate']),
    key: b64(user['client-key-data']) ?? file(user['client-key']),
    token: user.token,
  };
}
