// What a service account token costs per request: GET /api/v1/namespaces/default/serviceaccounts/default
// over one keep-alive connection with the admin client certificate, with one
// service account token (checked once, then from the verified-token cache), and
// with a fresh token each request (an ES256 verify each), plus the in-process
// cost of ServiceAccountTokens.authenticate alone. Run: node --import tsx bench/serviceaccount-authn.ts
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../test/e2e/harness.js';
import { adminClient, summary } from './lib.js';
import { ensureServiceAccountKey } from '../src/apiserver/pki/service-account-key.js';
import { ServiceAccountTokens } from '../src/apiserver/authn/service-account-token.js';

const N = Number(process.env.N) || 2000;
const PATH = '/api/v1/namespaces/default/serviceaccounts/default';

const s = await startServer();
try {
  const admin = adminClient(s.kubeconfig, s.port, 1);
  const ca = readFileSync(join(s.dataDir, 'tls/ca.crt'));
  const agent = new https.Agent({ ca, keepAlive: true, maxSockets: 1 });
  const get = (token: string) =>
    new Promise<number>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: s.port, path: PATH, agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const newToken = async () => JSON.parse((await admin.request('POST', `${PATH}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} })).body).status.token as string;
  const timed = async (name: string, fn: (i: number) => Promise<unknown>) => {
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await fn(i);
      lat.push(performance.now() - t);
    }
    console.log(summary(name, lat, performance.now() - t0));
  };
  // warm both paths (TLS sessions, JIT)
  const token = await newToken();
  for (let i = 0; i < 200; i++) await Promise.all([admin.request('GET', PATH), get(token)]);
  await timed('client certificate', () => admin.request('GET', PATH));
  await timed('service account token (cached)', async () => {
    if ((await get(token)) !== 200) throw new Error('token refused');
  });
  const fresh: string[] = [];
  for (let i = 0; i < N; i++) fresh.push(await newToken());
  await timed('a new token each request', async (i) => {
    if ((await get(fresh[i])) !== 200) throw new Error('token refused');
  });
  // in process: the authenticator alone, with the object checks answered at once
  const sa = { metadata: { name: 'default', namespace: 'default', uid: 'u1' } };
  const tokens = new ServiceAccountTokens(ensureServiceAccountKey(join(s.dataDir, 'tls')), () => sa);
  const subject = { namespace: 'default', serviceAccount: { name: 'default', uid: 'u1' } };
  const one = tokens.issue(subject, tokens.audiences, 3600).token;
  await timed('authenticate(), cached (in process)', () => tokens.authenticate(one));
  const many = Array.from({ length: N }, () => tokens.issue(subject, tokens.audiences, 3600).token);
  await timed('authenticate(), first sight (in process)', (i) => tokens.authenticate(many[i]));
} finally {
  await s.stop();
  s.cleanup();
}
