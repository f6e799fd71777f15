// The kubelet's side of service account tokens: the token manager asks for a
// pod-bound token once, serves it from its cache, renews it past 80% of its
// lifetime (keeping the old one when renewal fails while it is valid), and the
// projected volume writes it next to ca.crt and namespace; the `kubernetes`
// Service becomes upstream's link variables. The TokenRequest API is a function
// here (a recorder); the e2e test drives the real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/api/object.js';
import { ServiceAccountTokenManager, type IssuedToken } from '../../../src/kubelet/token-manager.js';
import { MissingVolumeSource, podDir, setUpVolumes } from '../../../src/kubelet/volumes.js';
import { podServiceLinks, serviceLinkEnv } from '../../../src/kubelet/service-env.js';
import { tokenVolume } from '../../../src/apiserver/registry/serviceaccount-admission.js';

type Obj = Record<string, any>;
const pod = (volumes: Obj[] = []): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team', uid: 'uid-1' }, spec: { serviceAccountName: 'robot', containers: [], volumes } });

function issuer(clock: () => number) {
  const asked: Array<{ ns: string; sa: string; body: Obj }> = [];
  let fail = false;
  const request = async (ns: string, sa: string, body: Obj): Promise<IssuedToken> => {
    asked.push({ ns, sa, body });
    if (fail) throw new Error('connection refused');
    return { token: `token-${asked.length}`, expirationTimestamp: new Date(clock() + body.spec.expirationSeconds * 1000).toISOString() };
  };
  return { asked, request, failing: (v: boolean) => (fail = v) };
}

test('a bound token is requested once, then renewed past 80% of its lifetime', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const api = issuer(() => now);
  const m = new ServiceAccountTokenManager(api.request, () => now);
  const projection = { path: 'token', expirationSeconds: 3607 };
  assert.equal(await m.token(pod(), projection), 'token-1');
  assert.deepEqual(api.asked[0], { ns: 'team', sa: 'robot', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-1' } } } });
  now += 2000_000;
  assert.equal(await m.token(pod(), projection), 'token-1', 'at 55% it is kept');
  now += 1000_000;
  assert.equal(await m.token(pod(), projection), 'token-2', 'at 83% it is renewed');
  api.failing(true);
  now += 3000_000;
  assert.equal(await m.token(pod(), projection), 'token-2', 'a failed renewal keeps the valid token');
  now += 700_000;
  await assert.rejects(m.token(pod(), projection), (e: unknown) => e instanceof MissingVolumeSource && /failed to fetch token: connection refused/.test(e.message));
  // an audience asks for a token of its own
  api.failing(false);
  await m.token(pod(), { path: 't', audience: 'vault', expirationSeconds: 600 });
  assert.deepEqual(api.asked.at(-1)!.body.spec.audiences, ['vault']);
});

test('a day-long token is renewed after 24 hours', async () => {
  let now = 0;
  const api = issuer(() => now);
  const m = new ServiceAccountTokenManager(api.request, () => now);
  await m.token(pod(), { path: 'token', expirationSeconds: 7 * 86400 });
  now += 23 * 3600_000;
  await m.token(pod(), { path: 'token', expirationSeconds: 7 * 86400 });
  assert.equal(api.asked.length, 1);
  now += 2 * 3600_000;
  await m.token(pod(), { path: 'token', expirationSeconds: 7 * 86400 });
  assert.equal(api.asked.length, 2);
});

test('the admission volume materializes token, ca.crt and namespace', async () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-satvol-'));
  try {
    const p = pod([tokenVolume('kube-api-access-abcde')]);
    const get = async (kind: string, ns: string, name: string) => (kind === 'configmaps' && ns === 'team' && name === 'kube-root-ca.crt' ? ({ metadata: { name }, data: { 'ca.crt': 'PEM' } } as KubeObject) : undefined);
    const dirs = await setUpVolumes(root, p, get, async () => 'the-token');
    const dir = dirs.get('kube-api-access-abcde')!;
    assert.equal(dir, join(podDir(root, p), 'volumes', 'kube-api-access-abcde'));
    assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'the-token');
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), 'PEM');
    assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'team');
    assert.equal(statSync(join(dir, 'token')).mode & 0o777, 0o644);
    // without a way to get a token the mount fails as upstream's FailedMount
    await assert.rejects(setUpVolumes(root, p, get), MissingVolumeSource);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the kubernetes Service gives upstream link variables', () => {
  const svc = { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] } } as KubeObject;
  assert.deepEqual(Object.fromEntries(serviceLinkEnv(svc)), {
    KUBERNETES_SERVICE_HOST: '10.43.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.43.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.43.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.43.0.1',
  });
  assert.deepEqual(serviceLinkEnv({ metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } } as KubeObject), []);
});

test("a pod gets its namespace's Services' links unless enableServiceLinks is false; kubernetes always", () => {
  const svc = (namespace: string, name: string, ip: string, port: number) => ({ metadata: { name, namespace }, spec: { clusterIP: ip, ports: [{ port, protocol: 'TCP' }] } }) as KubeObject;
  const all = [svc('default', 'kubernetes', '10.43.0.1', 443), svc('team', 'redis-main', '10.43.0.7', 6379), svc('other', 'db', '10.43.0.8', 5432)];
  const lister = (ns: string) => all.filter((s) => s.metadata.namespace === ns);
  const names = (links: Array<[string, string]> | undefined) => (links ?? []).map(([k]) => k).filter((k) => k.endsWith('_SERVICE_HOST'));
  assert.deepEqual(names(podServiceLinks(pod(), lister)), ['KUBERNETES_SERVICE_HOST', 'REDIS_MAIN_SERVICE_HOST']);
  const off = { ...pod(), spec: { ...(pod().spec as Obj), enableServiceLinks: false } };
  assert.deepEqual(names(podServiceLinks(off, lister)), ['KUBERNETES_SERVICE_HOST']);
  assert.equal(podServiceLinks(pod(), () => undefined), undefined, 'not known before the first list');
});
