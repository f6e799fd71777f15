// An agent joining with a token (see apiserver/node-join.ts): trust the CA only
// if its hash matches the token, then trade the secret for this node's own
// certificates. The result is kept, so a restarted agent needs no token.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { caHash, CACERTS_PATH, NODE_CREDENTIALS_PATH, parseJoinToken, type NodeCredentials } from '../apiserver/node-join.js';
import { writeKubeconfig } from '../apiserver/pki/kubeconfig.js';

export interface JoinResult {
  kubeconfig: string;
  servingCertPem: string;
  servingKeyPem: string;
}

function call(url: URL, opts: { method: string; ca?: string; token?: string; body?: string }): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method,
        // without a CA the certificate cannot be checked yet: the hash check below is what makes it safe
        ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(opts.body) } : {}) },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within 15 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function joinCluster(opts: { server: string; token: string; nodeName: string; addresses: string[]; dir: string }): Promise<JoinResult> {
  const kubeconfig = join(opts.dir, 'kubelet.kubeconfig');
  const certPath = join(opts.dir, 'serving.crt');
  const keyPath = join(opts.dir, 'serving.key');
  if (existsSync(kubeconfig) && existsSync(certPath) && existsSync(keyPath)) return { kubeconfig, servingCertPem: readFileSync(certPath, 'utf8'), servingKeyPem: readFileSync(keyPath, 'utf8') };
  const { caHash: want, secret } = parseJoinToken(opts.token);
  const base = new URL(opts.server);
  const ca = await call(new URL(CACERTS_PATH, base), { method: 'GET' });
  if (ca.code !== 200) throw new Error(`${opts.server}${CACERTS_PATH} answered ${ca.code}: is this a skiff server?`);
  if (want && caHash(ca.text) !== want) throw new Error(`the server's CA does not match the join token (token for another cluster, or a server in the middle): refusing to join`);
  const r = await call(new URL(NODE_CREDENTIALS_PATH, base), { method: 'POST', ca: ca.text, token: secret, body: JSON.stringify({ nodeName: opts.nodeName, addresses: opts.addresses }) });
  if (r.code !== 200) {
    let msg = r.text;
    try {
      msg = (JSON.parse(r.text) as { message?: string }).message ?? msg;
    } catch {
      /* plain text */
    }
    throw new Error(`joining ${opts.server} failed (${r.code}): ${msg}`);
  }
  const creds = JSON.parse(r.text) as NodeCredentials;
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  writeFileSync(certPath, creds.servingCertPem, { mode: 0o600 });
  writeFileSync(keyPath, creds.servingKeyPem, { mode: 0o600 });
  writeKubeconfig(kubeconfig, { server: opts.server, caPem: creds.caPem, certPem: creds.clientCertPem, keyPem: creds.clientKeyPem, user: `system:node:${opts.nodeName}` });
  return { kubeconfig, servingCertPem: creds.servingCertPem, servingKeyPem: creds.servingKeyPem };
}
