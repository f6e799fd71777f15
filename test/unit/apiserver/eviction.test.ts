// The eviction subresource's rules (registry/eviction.ts) over the real registry
// and SQLite storage, with budget statuses written by hand: the cases the e2e
// test cannot reach on purpose (a budget the controller has not seen yet, dry
// runs, preconditions, finished and pending pods).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../../src/api/errors.js';
import { findResource } from '../../../src/api/kinds/resources.js';
import type { KubeObject } from '../../../src/api/object.js';
import { evictPod } from '../../../src/apiserver/registry/eviction.js';
import { GenericRegistry, type WriteOptions } from '../../../src/apiserver/registry/generic-registry.js';
import { registryHooks } from '../../../src/apiserver/registry/hooks-impl.js';
import { createStorage, type CachedStorage } from '../../../src/storage/index.js';

const PODS = findResource('', 'pods')!;
const PDBS = findResource('policy', 'poddisruptionbudgets')!;
const NSS = findResource('', 'namespaces')!;
const W: WriteOptions = { dryRun: false, fieldValidation: 'Ignore', fieldManager: 'test', warnings: [] };
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

describe('eviction', () => {
  let dir: string;
  let storage: CachedStorage;
  let reg: GenericRegistry;
  let n = 0;
  let ns = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-eviction-'));
    storage = await createStorage({ dataDir: dir });
    reg = new GenericRegistry(storage, registryHooks());
  });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    ns = `t${++n}`;
    await reg.create(NSS, 'v1', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, W);
  });

  async function pod(name: string, phase: string, ready: boolean): Promise<KubeObject> {
    await reg.create(PODS, 'v1', ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } }, W);
    const cur = await reg.get(PODS, 'v1', ns, name);
    const status = { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
    return reg.update(PODS, 'v1', ns, name, { ...cur, status }, W, 'status');
  }

  async function budget(name: string, spec: Record<string, unknown>, status: Record<string, unknown>): Promise<KubeObject> {
    await reg.create(PDBS, 'v1', ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } }, W);
    const cur = await reg.get(PDBS, 'v1', ns, name);
    return reg.update(PDBS, 'v1', ns, name, { ...cur, status: { observedGeneration: 1, ...status } }, W, 'status');
  }

  const evict = (name: string, body: Record<string, unknown> = {}, dryRun = false) => evictPod(reg, ns, name, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name }, ...body }, dryRun);
  const getPod = (name: string) => reg.get(PODS, 'v1', ns, name);
  const rejects = async (p: Promise<unknown>): Promise<ApiError> => {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof ApiError, String(e));
      return e;
    }
    assert.fail('expected the eviction to be refused');
  };

  test('a budget the controller has not computed yet: 429, retry after 10 s, still being processed', async () => {
    await pod('a', 'Running', true);
    await budget('b', { minAvailable: 0 }, { observedGeneration: 0, disruptionsAllowed: 5 });
    const e = await rejects(evict('a'));
    assert.deepEqual([e.code, e.reason, e.message], [429, 'TooManyRequests', VIOLATION]);
    assert.deepEqual(e.details, { retryAfterSeconds: 10, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget b is still being processed by the server.' }] });
    assert.equal((await getPod('a')).metadata.deletionTimestamp, undefined);
  });

  test('none allowed: 429 with the numbers; allowed: spent, noted, the pod marked and deleted gracefully', async () => {
    await pod('a', 'Running', true);
    await budget('b', { minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const e = await rejects(evict('a'));
    assert.deepEqual(e.details, { retryAfterSeconds: 0, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget b needs 1 healthy pods and has 1 currently' }] });

    await pod('c', 'Running', true);
    const cur = await reg.get(PDBS, 'v1', ns, 'b');
    await reg.update(PDBS, 'v1', ns, 'b', { ...cur, status: { ...(cur.status as object), disruptionsAllowed: 1, currentHealthy: 2 } }, W, 'status');
    await evict('a');
    const after = (await reg.get(PDBS, 'v1', ns, 'b')).status as Record<string, any>;
    assert.equal(after.disruptionsAllowed, 0);
    assert.ok(after.disruptedPods.a);
    assert.deepEqual(after.conditions.map((c: any) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'False', 'InsufficientPods']]);
    const gone = await getPod('a');
    assert.ok(gone.metadata.deletionTimestamp);
    const cond = ((gone.status as any).conditions as any[]).find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual([cond.status, cond.reason], ['True', 'EvictionByEvictionAPI']);
  });

  test('dry run (query or deleteOptions): checked, nothing spent or deleted', async () => {
    await pod('a', 'Running', true);
    await budget('b', {}, { disruptionsAllowed: 1 });
    await evict('a', {}, true);
    await evict('a', { deleteOptions: { dryRun: ['All'] } });
    assert.equal(((await reg.get(PDBS, 'v1', ns, 'b')).status as any).disruptionsAllowed, 1);
    const p = await getPod('a');
    assert.equal(p.metadata.deletionTimestamp, undefined);
    assert.equal(((p.status as any).conditions as any[]).some((c) => c.type === 'DisruptionTarget'), false);
    const e = await rejects(evict('a', { deleteOptions: { dryRun: ['Some'] } }));
    assert.equal(e.code, 422);
  });

  test('a negative disruptionsAllowed cannot be written (422); a name not the URL\'s is a 400', async () => {
    await pod('a', 'Running', true);
    const e = await rejects(budget('b', {}, { disruptionsAllowed: -1 }));
    assert.equal(e.code, 422);
    assert.match(e.message, /status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0/);
    assert.equal((await rejects(evictPod(reg, ns, 'a', { metadata: { name: 'other' } }, false))).code, 400);
  });

  test('pending and finished pods are evicted freely; a missing pod is a 404', async () => {
    await pod('p', 'Pending', false);
    await pod('f', 'Succeeded', false);
    await budget('b', {}, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 3 });
    await evict('p');
    await evict('f');
    assert.ok((await getPod('p')).metadata.deletionTimestamp);
    assert.equal((await rejects(getPod('f'))).code, 404, 'a finished pod has no grace period');
    assert.equal((await rejects(evict('nope'))).code, 404);
  });

  test('unready pods: IfHealthyBudget lets them go only while the budget is whole; AlwaysAllow always; never spending', async () => {
    await pod('u', 'Running', false);
    await pod('v', 'Running', false);
    await budget('b', { minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 });
    const e = await rejects(evict('u'));
    assert.equal(e.code, 429, 'the application is already short: the unready pod stays');
    const cur = await reg.get(PDBS, 'v1', ns, 'b');
    await reg.update(PDBS, 'v1', ns, 'b', { ...cur, status: { ...(cur.status as object), currentHealthy: 2 } }, W, 'status');
    await evict('u');
    assert.ok((await getPod('u')).metadata.deletionTimestamp);

    const b = await reg.get(PDBS, 'v1', ns, 'b');
    await reg.update(PDBS, 'v1', ns, 'b', { ...b, spec: { ...(b.spec as object), unhealthyPodEvictionPolicy: 'AlwaysAllow' } }, W);
    const short = await reg.get(PDBS, 'v1', ns, 'b');
    await reg.update(PDBS, 'v1', ns, 'b', { ...short, status: { ...(short.status as object), currentHealthy: 0, observedGeneration: 2 } }, W, 'status');
    await evict('v');
    assert.ok((await getPod('v')).metadata.deletionTimestamp);
    assert.equal(((await reg.get(PDBS, 'v1', ns, 'b')).status as any).disruptionsAllowed, 0);
    assert.equal(((await reg.get(PDBS, 'v1', ns, 'b')).status as any).disruptedPods, undefined);
  });

  test('a caller\'s stale resourceVersion precondition is a 409 and the pod is left unmarked', async () => {
    const p = await pod('a', 'Running', true);
    await budget('b', {}, { disruptionsAllowed: 1 });
    const e = await rejects(evict('a', { deleteOptions: { preconditions: { resourceVersion: String(Number(p.metadata.resourceVersion) - 1) } } }));
    assert.equal(e.code, 409);
    const still = await getPod('a');
    assert.equal(still.metadata.deletionTimestamp, undefined);
    assert.equal(((still.status as any).conditions as any[]).some((c) => c.type === 'DisruptionTarget'), false);
  });

  test('two budgets over one pod: the 500 upstream answers, with its message', async () => {
    await pod('a', 'Running', true);
    await budget('b1', {}, { disruptionsAllowed: 1 });
    await budget('b2', {}, { disruptionsAllowed: 1 });
    const e = await rejects(evict('a'));
    assert.equal(e.code, 500);
    assert.equal(e.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  });
});
