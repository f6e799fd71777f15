// LimitRanger and ResourceQuota admission: the arithmetic and upstream's messages
// (pure functions), and the quota charge against the real SQLite storage, where
// concurrent creates racing for the last slot must not both pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/api/object.js';
import { findResource } from '../../../src/api/kinds/resources.js';
import { aggregate, applyLimitRangeDefaults, defaultLimitRange, podLimitViolations, pvcLimitViolations } from '../../../src/api/quota/limit-ranger.js';
import { exceeded, matchesScopes, missingCompute, parseList, usageOf } from '../../../src/api/quota/quota-usage.js';
import { formatQuantity } from '../../../src/api/resource-quantity.js';
import { QuotaAdmission } from '../../../src/apiserver/registry/quota-admission.js';
import { objectKey, resourcePrefix } from '../../../src/apiserver/registry/keys.js';
import { createStorage } from '../../../src/storage/index.js';

const pod = (name: string, containers: object[], extra: object = {}) => ({ metadata: { name, namespace: 'ns' }, spec: { containers, ...extra } }) as unknown as KubeObject;
const range = (limits: object[]) => {
  const r = { metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } } as unknown as KubeObject;
  defaultLimitRange(r);
  return r;
};
const show = (u: Record<string, { nano: bigint }>) => Object.fromEntries(Object.entries(u).map(([k, v]) => [k, formatQuantity(v as never)]));

test('LimitRange defaults: max becomes the default limit, the default limit the default request, else min', () => {
  const r = range([{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' }, default: { memory: '256Mi' } }]);
  const item = (r.spec as { limits: Array<Record<string, unknown>> }).limits[0]!;
  assert.deepEqual(item.default, { memory: '256Mi', cpu: '2' });
  assert.deepEqual(item.defaultRequest, { memory: '256Mi', cpu: '2' });
  const m = range([{ type: 'Container', min: { cpu: '100m' } }]);
  assert.deepEqual((m.spec as { limits: Array<Record<string, unknown>> }).limits[0]!.defaultRequest, { cpu: '100m' });
});

test('LimitRanger fills only what a container lacks and says so in an annotation', () => {
  const r = range([{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } }]);
  const p = pod('p', [{ name: 'a' }, { name: 'b', resources: { requests: { cpu: '300m' }, limits: { cpu: '1' } } }], { initContainers: [{ name: 'i' }] });
  applyLimitRangeDefaults(p, [r]);
  const spec = p.spec as { containers: Array<{ resources: object }>; initContainers: Array<{ resources: object }> };
  assert.deepEqual(spec.containers[0]!.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
  assert.deepEqual(spec.containers[1]!.resources, { requests: { cpu: '300m', memory: '128Mi' }, limits: { cpu: '1', memory: '128Mi' } });
  assert.deepEqual(spec.initContainers[0]!.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
  assert.equal(
    p.metadata.annotations!['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu, memory request for init container i; cpu, memory limit for init container i; cpu, memory request for container a; cpu, memory limit for container a; memory request for container b; memory limit for container b',
  );
});

test('LimitRanger bounds: min, max and ratio per Container, sums per Pod, storage per claim', () => {
  const r = range([
    { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' }, maxLimitRequestRatio: { memory: '2' } },
    { type: 'Pod', max: { cpu: '1500m' } },
  ]);
  const c = (name: string, requests: object, limits: object) => ({ name, resources: { requests, limits } });
  assert.deepEqual(podLimitViolations(pod('ok', [c('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '2Gi' })]), [r]), []);
  assert.deepEqual(podLimitViolations(pod('x', [c('a', { cpu: '50m', memory: '1Gi' }, { cpu: '2', memory: '3Gi' })]), [r]), [
    'minimum cpu usage per Container is 100m, but request is 50m',
    'maximum cpu usage per Container is 1, but limit is 2',
    'memory max limit to request ratio per Container is 2, but provided ratio is 3.000000',
    'maximum cpu usage per Pod is 1500m, but limit is 2',
  ]);
  assert.deepEqual(podLimitViolations(pod('y', [{ name: 'a' }]), [r]), [
    'minimum cpu usage per Container is 100m.  No request is specified',
    'maximum cpu usage per Container is 1.  No limit is specified',
    'memory max limit to request ratio per Container is 2, but no request is specified or request is 0',
    'maximum cpu usage per Pod is 1500m.  No limit is specified',
  ]);
  const two = [c('a', { cpu: '800m', memory: '1' }, { cpu: '800m', memory: '1' }), c('b', { cpu: '800m', memory: '1' }, { cpu: '800m', memory: '1' })];
  assert.deepEqual(podLimitViolations(pod('z', two), [r]), ['maximum cpu usage per Pod is 1500m, but limit is 1600m']);
  const claims = range([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]);
  const pvc = (storage: string) => ({ metadata: { name: 'c' }, spec: { resources: { requests: { storage } } } }) as unknown as KubeObject;
  assert.deepEqual(pvcLimitViolations(pvc('20Gi'), [claims]), ['maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi']);
  assert.deepEqual(pvcLimitViolations(pvc('500Mi'), [claims]), ['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
  assert.equal(aggregate(['a']), 'a');
  assert.equal(aggregate(['a', 'b']), '[a, b]');
});

test('quota usage of a pod: requests and limits summed, init containers by their maximum, nothing once terminal', () => {
  const p = pod('p', [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } } }, { name: 'b', resources: { requests: { cpu: '250m' } } }], { initContainers: [{ name: 'i', resources: { requests: { cpu: '1' } } }] });
  assert.deepEqual(show(usageOf('pods', '', p)), { 'count/pods': '1', pods: '1', 'requests.cpu': '1', cpu: '1', 'requests.memory': '64Mi', memory: '64Mi', 'limits.cpu': '200m' });
  assert.deepEqual(usageOf('pods', '', { ...p, status: { phase: 'Succeeded' } } as KubeObject), {});
  assert.deepEqual(show(usageOf('services', '', { metadata: {}, spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] } } as unknown as KubeObject)), { 'count/services': '1', services: '1', 'services.nodeports': '2' });
  assert.deepEqual(show(usageOf('deployments', 'apps', { metadata: {} } as KubeObject)), { 'count/deployments.apps': '1' });
});

test('quota scopes, must-specify and the exceeded message', () => {
  const quota = (scopes: string[]) => ({ metadata: { name: 'q' }, spec: { scopes } }) as unknown as KubeObject;
  const best = pod('b', [{ name: 'a' }]);
  const burst = pod('n', [{ name: 'a', resources: { requests: { cpu: '1' } } }], { activeDeadlineSeconds: 30 });
  assert.equal(matchesScopes(quota(['BestEffort']), 'pods', '', best), true);
  assert.equal(matchesScopes(quota(['BestEffort']), 'pods', '', burst), false);
  assert.equal(matchesScopes(quota(['NotBestEffort', 'Terminating']), 'pods', '', burst), true);
  assert.equal(matchesScopes(quota(['NotTerminating']), 'pods', '', burst), false);
  assert.equal(matchesScopes(quota(['BestEffort']), 'services', '', best), false);
  assert.deepEqual(missingCompute(pod('p', [{ name: 'a', resources: { requests: { cpu: '1' } } }, { name: 'b' }]), { 'requests.cpu': '2', 'limits.memory': '1Gi', pods: '3' }), [
    'must specify limits.memory for: a,b',
    'must specify requests.cpu for: b',
  ]);
  const hard = parseList({ pods: '2', 'requests.cpu': '1' });
  assert.equal(exceeded('q', parseList({ pods: '1', 'requests.cpu': '500m' }), parseList({ pods: '1', 'requests.cpu': '400m' }), hard), undefined);
  assert.equal(
    exceeded('q', parseList({ pods: '1', 'requests.cpu': '700m' }), parseList({ pods: '2', 'requests.cpu': '400m' }), hard),
    'exceeded quota: q, requested: pods=1,requests.cpu=700m, used: pods=2,requests.cpu=400m, limited: pods=2,requests.cpu=1',
  );
});

test('admission against real storage: concurrent creates racing for the last slots, and a status not yet counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-quota-'));
  const storage = await createStorage({ dataDir: dir });
  t.after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const quotas = findResource('', 'resourcequotas')!;
  const configmaps = findResource('', 'configmaps')!;
  const store = storage.resource(resourcePrefix(quotas));
  const admission = new QuotaAdmission(storage);
  const cm = (n: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${n}`, namespace: 'ns' } }) as KubeObject;

  await store.create(objectKey(quotas, 'ns', 'fresh'), { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'fresh', namespace: 'ns' }, spec: { hard: { configmaps: '3' } } } as KubeObject);
  await assert.rejects(admission.admit(configmaps, cm(0)), (e: { code: number; message: string }) => e.code === 403 && e.message === 'configmaps "cm0" is forbidden: status unknown for quota: fresh, resources: configmaps');
  await store.delete(objectKey(quotas, 'ns', 'fresh'));

  const q = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { configmaps: '3' } }, status: { hard: { configmaps: '3' }, used: { configmaps: '1' } } };
  await store.create(objectKey(quotas, 'ns', 'q'), q as unknown as KubeObject);
  // a dry run checks but charges nothing
  await admission.admit(configmaps, cm(99), true);
  assert.equal(((await store.get(objectKey(quotas, 'ns', 'q'))).status as { used: { configmaps: string } }).used.configmaps, '1');
  // eight at once for two free slots: every admit reads the quota before any writes
  const results = await Promise.allSettled([1, 2, 3, 4, 5, 6, 7, 8].map((n) => admission.admit(configmaps, cm(n))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
  for (const r of results) if (r.status === 'rejected') assert.match((r.reason as Error).message, /configmaps "cm\d" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=3, limited: configmaps=3/);
  assert.equal(((await store.get(objectKey(quotas, 'ns', 'q'))).status as { used: { configmaps: string } }).used.configmaps, '3');
});

test('updates are charged what they add: a Service turning NodePort, a claim growing; its LimitRange bounds the new size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-quota-update-'));
  const storage = await createStorage({ dataDir: dir });
  t.after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const quotas = findResource('', 'resourcequotas')!;
  const services = findResource('', 'services')!;
  const claims = findResource('', 'persistentvolumeclaims')!;
  const store = storage.resource(resourcePrefix(quotas));
  const admission = new QuotaAdmission(storage);
  await store.create(objectKey(quotas, 'ns', 'q'), {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' },
    spec: { hard: { 'services.nodeports': '2', services: '5', 'requests.storage': '10Gi' } },
    status: { hard: { 'services.nodeports': '2', services: '5', 'requests.storage': '10Gi' }, used: { 'services.nodeports': '1', services: '1', 'requests.storage': '4Gi' } },
  } as unknown as KubeObject);
  const used = async () => ((await store.get(objectKey(quotas, 'ns', 'q'))).status as { used: Record<string, string> }).used;
  const svc = (type: string, ports: number) => ({ metadata: { name: 'web', namespace: 'ns' }, spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) } }) as unknown as KubeObject;
  // ClusterIP -> NodePort with one port: one node port more, the service itself is not counted again
  await admission.admitUpdate(services, svc('NodePort', 1), svc('ClusterIP', 1));
  assert.deepEqual(await used(), { 'services.nodeports': '2', services: '1', 'requests.storage': '4Gi' });
  await assert.rejects(admission.admitUpdate(services, svc('NodePort', 2), svc('NodePort', 1)), (e: { code: number; message: string }) => e.code === 403 && e.message === 'services "web" is forbidden: exceeded quota: q, requested: services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=2');
  // shrinking charges nothing (the controller gives usage back later)
  await admission.admitUpdate(services, svc('ClusterIP', 1), svc('NodePort', 1));
  assert.equal((await used())['services.nodeports'], '2');

  const pvc = (size: string) => ({ metadata: { name: 'data', namespace: 'ns' }, spec: { resources: { requests: { storage: size } } } }) as unknown as KubeObject;
  await admission.admitUpdate(claims, pvc('5Gi'), pvc('2Gi'));
  assert.equal((await used())['requests.storage'], '7Gi');
  await assert.rejects(admission.admitUpdate(claims, pvc('9Gi'), pvc('5Gi')), /exceeded quota: q, requested: requests.storage=4Gi, used: requests.storage=7Gi, limited: requests.storage=10Gi/);
  const limits = findResource('', 'limitranges')!;
  await storage.resource(resourcePrefix(limits)).create(objectKey(limits, 'ns', 'lr'), { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits: [{ type: 'PersistentVolumeClaim', max: { storage: '6Gi' } }] } } as unknown as KubeObject);
  await assert.rejects(admission.admitUpdate(claims, pvc('8Gi'), pvc('5Gi')), /persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 6Gi, but request is 8Gi/);
});
