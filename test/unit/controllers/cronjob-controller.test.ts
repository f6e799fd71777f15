// The CronJob controller's decisions over a fake clock, with in-memory caches
// standing in for the informers and a client that records the writes:
// concurrency policies, startingDeadlineSeconds, suspend, history limits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import type { Informer } from '../../../src/client/informer.js';
import type { RestClient } from '../../../src/client/rest-client.js';
import { CronJobController } from '../../../src/controllers/cronjob/cronjob-controller.js';

type Obj = Record<string, any>;

/** Enough of an Informer for the controller: a keyed cache and handler registration. */
function cache(objs: KubeObject[]): Informer {
  const m = new Map(objs.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  return {
    get: (k: string) => m.get(k),
    list: (ns?: string) => [...m.values()].filter((o) => ns === undefined || o.metadata.namespace === ns),
    addHandlers: () => {},
  } as unknown as Informer;
}

interface Call {
  method: string;
  path: string;
  body?: Obj;
}

function recorder(): { client: RestClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    request: async (method: string, path: string, body?: Obj) => {
      calls.push({ method, path, body });
      return body ?? {};
    },
    update: async (_r: unknown, obj: Obj, sub?: string) => {
      calls.push({ method: 'PUT', path: sub ?? '', body: obj });
      return obj;
    },
    delete: async (_r: unknown, _ns: string, name: string, opts: Obj) => {
      calls.push({ method: 'DELETE', path: name, body: opts });
      return {};
    },
    patch: async () => ({}),
  } as unknown as RestClient;
  return { client, calls };
}

const minute = (iso: string) => Math.floor(Date.parse(iso) / 60_000);

function cronJob(spec: Obj, status: Obj = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2024-05-01T09:58:30Z' },
    spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { containers: [] } } } }, ...spec },
    status,
  };
}

function job(name: string, state?: 'Complete' | 'Failed', start = '2024-05-01T09:00:00Z'): KubeObject {
  return {
    metadata: { name, namespace: 'ns', uid: `${name}-uid`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'cj-uid', controller: true }] },
    status: { startTime: start, ...(state ? { completionTime: start, conditions: [{ type: state, status: 'True' }] } : {}) },
  };
}

async function run(cj: KubeObject, jobs: KubeObject[], now: string): Promise<{ calls: Call[]; created: string[]; deleted: string[]; status?: Obj }> {
  const { client, calls } = recorder();
  const c = new CronJobController(client, cache([cj]), cache(jobs), () => {}, () => Date.parse(now));
  await (c as unknown as { sync(k: string): Promise<void> }).sync('ns/cj');
  await c.stop();
  return {
    calls,
    created: calls.filter((x) => x.method === 'POST' && x.path.endsWith('/jobs')).map((x) => x.body!.metadata.name),
    deleted: calls.filter((x) => x.method === 'DELETE').map((x) => x.path),
    status: calls.find((x) => x.method === 'PUT' && x.path === 'status')?.body?.status,
  };
}

describe('CronJob controller with a fake clock', () => {
  test('nothing before the first activation; at it, one Job named by its minute', async () => {
    assert.deepEqual((await run(cronJob({}), [], '2024-05-01T09:59:59Z')).created, []);
    const r = await run(cronJob({}), [], '2024-05-01T10:00:01Z');
    assert.deepEqual(r.created, [`cj-${minute('2024-05-01T10:00:00Z')}`]);
    assert.equal(r.status!.lastScheduleTime, '2024-05-01T10:00:00Z');
    assert.equal(r.status!.active[0].name, r.created[0]);
    const created = r.calls.find((x) => x.method === 'POST' && x.path.endsWith('/jobs'))!.body!;
    assert.equal(created.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-05-01T10:00:00Z');
  });

  test('missed runs: only the latest is started; a Job already made for it is not made again', async () => {
    const r = await run(cronJob({}), [], '2024-05-01T10:17:00Z');
    assert.deepEqual(r.created, [`cj-${minute('2024-05-01T10:15:00Z')}`]);
    const again = await run(cronJob({}, { lastScheduleTime: '2024-05-01T10:10:00Z' }), [job(`cj-${minute('2024-05-01T10:15:00Z')}`)], '2024-05-01T10:17:00Z');
    assert.deepEqual(again.created, []);
  });

  test('startingDeadlineSeconds: too late is a missed schedule', async () => {
    const late = await run(cronJob({ startingDeadlineSeconds: 30 }, { lastScheduleTime: '2024-05-01T10:10:00Z' }), [], '2024-05-01T10:15:45Z');
    assert.deepEqual(late.created, []);
    const inTime = await run(cronJob({ startingDeadlineSeconds: 60 }, { lastScheduleTime: '2024-05-01T10:10:00Z' }), [], '2024-05-01T10:15:45Z');
    assert.equal(inTime.created.length, 1);
  });

  test('Forbid waits for the running Job; Replace deletes it; Allow runs both', async () => {
    const running = job('cj-1', undefined);
    const status = { lastScheduleTime: '2024-05-01T10:00:00Z', active: [{ name: 'cj-1' }] };
    const at = '2024-05-01T10:05:02Z';
    const forbid = await run(cronJob({ concurrencyPolicy: 'Forbid' }, status), [running], at);
    assert.deepEqual([forbid.created, forbid.deleted], [[], []]);
    const replace = await run(cronJob({ concurrencyPolicy: 'Replace' }, status), [running], at);
    assert.deepEqual(replace.deleted, ['cj-1']);
    assert.equal(replace.calls.find((x) => x.method === 'DELETE')!.body!.propagationPolicy, 'Background');
    assert.equal(replace.created.length, 1);
    assert.deepEqual(replace.status!.active.map((a: Obj) => a.name), replace.created);
    const allow = await run(cronJob({}, status), [running], at);
    assert.equal(allow.created.length, 1);
    assert.equal(allow.status!.active.length, 2);
  });

  test('suspend starts nothing', async () => {
    assert.deepEqual((await run(cronJob({ suspend: true }), [], '2024-05-01T10:17:00Z')).created, []);
  });

  test('history limits prune the oldest finished Jobs; completion sets lastSuccessfulTime', async () => {
    const jobs = [
      job('s1', 'Complete', '2024-05-01T09:00:00Z'),
      job('s2', 'Complete', '2024-05-01T09:05:00Z'),
      job('s3', 'Complete', '2024-05-01T09:10:00Z'),
      job('f1', 'Failed', '2024-05-01T09:15:00Z'),
      job('f2', 'Failed', '2024-05-01T09:20:00Z'),
    ];
    const r = await run(cronJob({ successfulJobsHistoryLimit: 2 }, { lastScheduleTime: '2024-05-01T10:00:00Z' }), jobs, '2024-05-01T10:01:00Z');
    assert.deepEqual(r.deleted.sort(), ['f1', 's1']);
    assert.equal(r.status!.lastSuccessfulTime, '2024-05-01T09:10:00Z');
  });

  test('time zones: 09:00 in Tokyo', async () => {
    const r = await run(cronJob({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }, { lastScheduleTime: '2024-05-01T00:00:00Z' }), [], '2024-05-02T00:00:30Z');
    assert.deepEqual(r.created, [`cj-${minute('2024-05-02T00:00:00Z')}`]);
    const created = r.calls.find((x) => x.method === 'POST' && x.path.endsWith('/jobs'))!.body!;
    assert.equal(created.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-05-02T09:00:00+09:00');
  });
});
