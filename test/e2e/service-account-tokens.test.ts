// Service account tokens end to end on a real node: `kubectl create token`, a TokenReview of it and
// `kubectl --token auth whoami`; a busybox pod finds its token, namespace and
// ca.crt at /var/run/secrets/kubernetes.io/serviceaccount and the
// KUBERNETES_SERVICE_* variables, and curl inside the pod's network namespace
// (busybox has no TLS client) lists pods through the `kubernetes` Service's
// ClusterIP with that token, verifying the server by that ca.crt; a garbage
// token is a 401, and so is the pod's token once the pod is deleted;
// @kubernetes/client-node's loadFromCluster() does the same from the pod's netns. A
// kubernetes.io/service-account-token Secret gets a long-lived token.
// automountServiceAccountToken: false mounts nothing. Service link variables:
// the kubernetes Service always, the namespace's unless enableServiceLinks: false.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k, kubectl, until } from './harness.js';
import { sandboxPid, startNodeCluster, type NodeCluster } from './node-harness.js';

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

describe('service account tokens: TokenRequest, the authenticator, pod token volumes', () => {
  let c: NodeCluster;
  let work: string;
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const pod = (name: string, spec: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'] }], ...spec } });
  const running = (name: string) => until(`${name} running`, () => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json'])).status?.phase === 'Running', 60_000);
  /** kubectl with only a bearer token (no client certificate), trusting the cluster CA */
  const withToken = (token: string, args: string[]) => {
    const cfg = join(work, `token-${Math.random().toString(36).slice(2)}.kubeconfig`);
    writeFileSync(cfg, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: c.s.url, 'certificate-authority': join(c.s.dataDir, 'tls/ca.crt') } }], users: [{ name: 'u', user: { token } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }], 'current-context': 'c' }));
    return kubectl({ kubeconfig: cfg, netns: c.netns }, args);
  };
  /** the pod's own network namespace (its sandbox's) */
  const podNetns = (podName: string) => {
    const uid = JSON.parse(k(c.s, ['get', 'pod', podName, '-o', 'json'])).metadata.uid;
    const pid = sandboxPid(c.s.dataDir, uid);
    assert.ok(pid, `the sandbox of ${podName} runs`);
    return `--net=/proc/${pid}/ns/net`;
  };
  /** curl run in the pod's network namespace, as a process of the pod would call */
  const curlFromPod = (podName: string, args: string[]) => spawnSync('nsenter', [podNetns(podName), 'curl', '-sS', '--max-time', '10', ...args], { encoding: 'utf8', timeout: 30_000 });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-satokens-'));
    c = await startNodeCluster('skiff-satok');
  });

  after(async () => {
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('kubectl create token gives a token that kubectl auth whoami shows as the service account', () => {
    const token = k(c.s, ['create', 'token', 'default', '--duration', '10m']).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.exp - claims.iat, 600);
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    const who = withToken(token, ['auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    const user = JSON.parse(who.stdout).status.userInfo;
    assert.equal(user.username, 'system:serviceaccount:default:default');
    assert.deepEqual(user.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    // the least lifetime is ten minutes, as upstream
    const short = kubectl(c.s, ['create', 'token', 'default', '--duration', '1m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
    // issuer discovery: the published key set names the token's key
    const oidc = JSON.parse(k(c.s, ['get', '--raw', '/.well-known/openid-configuration']));
    assert.equal(oidc.issuer, claims.iss);
    const keys = JSON.parse(k(c.s, ['get', '--raw', '/openid/v1/jwks'])).keys;
    assert.equal(keys[0].kid, JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid);
    // TokenReview: what a consumer handed the token asks
    const review = JSON.parse(k(c.s, ['create', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } })));
    assert.equal(review.status.authenticated, true);
    assert.equal(review.status.user.username, 'system:serviceaccount:default:default');
    const bad = withToken(`${token.slice(0, -4)}AAAA`, ['get', 'pods']);
    assert.match(bad.stderr, /Unauthorized|provide credentials/);
  });

  test('a kubernetes.io/service-account-token Secret gets a long-lived token, which goes with its account', async () => {
    k(c.s, ['create', 'serviceaccount', 'robot']);
    apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'robot-token', annotations: { 'kubernetes.io/service-account.name': 'robot' } } });
    const data = await until('token filled in', () => JSON.parse(k(c.s, ['get', 'secret', 'robot-token', '-o', 'json'])).data?.token && JSON.parse(k(c.s, ['get', 'secret', 'robot-token', '-o', 'json'])).data);
    assert.equal(Buffer.from(data['ca.crt'], 'base64').toString(), readFileSync(join(c.s.dataDir, 'tls/ca.crt'), 'utf8'));
    assert.equal(Buffer.from(data.namespace, 'base64').toString(), 'default');
    const token = Buffer.from(data.token, 'base64').toString();
    const who = withToken(token, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(who.stdout, 'system:serviceaccount:default:robot', who.stderr);
    // the account goes: so do its token Secret and the token
    k(c.s, ['delete', 'serviceaccount', 'robot']);
    await until('token secret deleted', () => kubectl(c.s, ['get', 'secret', 'robot-token']).code !== 0);
    assert.match(withToken(token, ['auth', 'whoami']).stderr, /Unauthorized|provide credentials/);
  });

  test('every namespace gets kube-root-ca.crt with the cluster CA', async () => {
    k(c.s, ['create', 'namespace', 'team']);
    const ca = readFileSync(join(c.s.dataDir, 'tls/ca.crt'), 'utf8');
    await until('kube-root-ca.crt in team', () => JSON.parse(k(c.s, ['get', 'configmap', 'kube-root-ca.crt', '-n', 'team', '-o', 'json'])).data['ca.crt'] === ca);
    // a deleted copy comes back
    k(c.s, ['delete', 'configmap', 'kube-root-ca.crt', '-n', 'team']);
    await until('kube-root-ca.crt back', () => JSON.parse(k(c.s, ['get', 'configmap', 'kube-root-ca.crt', '-n', 'team', '-o', 'json'])).data['ca.crt'] === ca);
  });

  test('a pod reads its token, namespace and ca.crt and calls the API server through the kubernetes Service', async () => {
    // a Service of the pod's namespace made before the pod: its link variables too (enableServiceLinks defaults on)
    k(c.s, ['create', 'service', 'clusterip', 'web-front', '--tcp=8080']);
    apply(pod('reader'));
    await running('reader');
    const token = k(c.s, ['exec', 'reader', '--', 'cat', `${MOUNT}/token`]);
    assert.equal(k(c.s, ['exec', 'reader', '--', 'cat', `${MOUNT}/namespace`]), 'default');
    const ca = k(c.s, ['exec', 'reader', '--', 'cat', `${MOUNT}/ca.crt`]);
    assert.equal(ca, readFileSync(join(c.s.dataDir, 'tls/ca.crt'), 'utf8'));
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims['kubernetes.io'].pod.name, 'reader');
    // upstream's extended expiration: valid for a year, warnafter at the 3607 s asked for
    assert.equal(claims['kubernetes.io'].warnafter - claims.iat, 3607);
    assert.equal(claims.exp - claims.iat, 365 * 24 * 3600);
    const env = k(c.s, ['exec', 'reader', '--', 'env']);
    assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.43\.0\.1$/m);
    assert.match(env, /^KUBERNETES_SERVICE_PORT=443$/m);
    assert.match(env, /^KUBERNETES_PORT_443_TCP=tcp:\/\/10\.43\.0\.1:443$/m);
    assert.match(env, /^WEB_FRONT_SERVICE_PORT=8080$/m);
    // in-cluster config: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the token, ca.crt
    const caFile = join(work, 'pod-ca.crt');
    writeFileSync(caFile, ca);
    const url = 'https://10.43.0.1:443/api/v1/namespaces/default/pods';
    const ok = curlFromPod('reader', ['--cacert', caFile, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}', url]);
    assert.match(ok.stdout, /\n200$/, `${ok.stdout}\n${ok.stderr}`);
    assert.ok(JSON.parse(ok.stdout.replace(/\n200$/, '')).items.some((p: { metadata: { name: string } }) => p.metadata.name === 'reader'));
    const garbage = curlFromPod('reader', ['--cacert', caFile, '-H', 'Authorization: Bearer not-a-token', '-o', '/dev/null', '-w', '%{http_code}', url]);
    assert.equal(garbage.stdout, '401', garbage.stderr);
    // @kubernetes/client-node's own in-cluster path: loadFromCluster() with the pod's environment and
    // files (copied out under a prefix, as node is not in the busybox image), run in the pod's network namespace
    const root = join(work, 'pod-root');
    const saDir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), token);
    writeFileSync(join(saDir, 'ca.crt'), ca);
    writeFileSync(join(saDir, 'namespace'), 'default');
    const script = join(work, 'in-cluster.mjs');
    const lib = pathToFileURL(createRequire(import.meta.url).resolve('@kubernetes/client-node')).href;
    writeFileSync(script, `import * as k8s from ${JSON.stringify(lib)};
const kc = new k8s.KubeConfig();
kc.loadFromCluster(process.argv[2]);
const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'default' });
console.log(kc.getCurrentCluster().server, list.items.map((p) => p.metadata.name).join(','));
`);
    const podEnv = Object.fromEntries(env.split('\n').filter((l) => l.startsWith('KUBERNETES_SERVICE_')).map((l) => l.split('=')));
    const inCluster = spawnSync('nsenter', [podNetns('reader'), process.execPath, script, root], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, ...podEnv } });
    assert.equal(inCluster.status, 0, inCluster.stderr);
    assert.match(inCluster.stdout, /^https:\/\/10\.43\.0\.1:443 .*\breader\b/, inCluster.stdout);
    // the token is bound to the pod: once the pod is gone, so is the token
    k(c.s, ['delete', 'pod', 'reader', '--wait=true', '--timeout=60s']);
    await until('the pod-bound token refused', () => /Unauthorized|provide credentials/.test(withToken(token, ['auth', 'whoami']).stderr));
  });

  test('automountServiceAccountToken: false mounts nothing; enableServiceLinks: false leaves only the kubernetes links', async () => {
    apply(pod('private', { automountServiceAccountToken: false, enableServiceLinks: false }));
    await running('private');
    const spec = JSON.parse(k(c.s, ['get', 'pod', 'private', '-o', 'json'])).spec;
    assert.doesNotMatch(k(c.s, ['exec', 'private', '--', 'env']), /WEB_FRONT_SERVICE_HOST/, 'enableServiceLinks: false gives no namespace links');
    assert.match(k(c.s, ['exec', 'private', '--', 'env']), /^KUBERNETES_SERVICE_HOST=/m, 'but the kubernetes Service always');
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.volumes, undefined);
    const ls = kubectl(c.s, ['exec', 'private', '--', 'ls', MOUNT]);
    assert.notEqual(ls.code, 0);
    assert.match(ls.stderr, /No such file or directory/);
  });
});
