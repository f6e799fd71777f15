// StatefulSet, CronJob, Job and Deployment controllers inside `skiff server`,
// driven by the real kubectl. There is no node here: the test plays the
// kubelet, writing pod status through the API (phase, Ready, exit codes) the
// way a kubelet would, so ordering and readiness are under its control.
// The CronJob clock runs 65 s ahead (SKIFF_CRONJOB_CLOCK_OFFSET), so a
// `*/1 * * * *` schedule is already due when the CronJob is created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, startServer, type ServerHandle, until } from './harness.js';

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('workload controllers', () => {
  let s: ServerHandle;
  const json = (args: string[]) => JSON.parse(k(s, [...args, '-o', 'json']));
  const podNames = (ns: string, selector: string) =>
    (json(['-n', ns, 'get', 'pods', '-l', selector]).items as any[]).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name as string).sort();

  /** The fake kubelet: the pod runs and is ready. */
  function markReady(ns: string, name: string): void {
    const status = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: stamp() }],
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: stamp() } } }],
    };
    k(s, ['-n', ns, 'patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  }

  /** The fake kubelet: the pod's container exited. */
  function markExited(ns: string, name: string, exitCode: number, conditions: object[] = []): void {
    const status = {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      conditions,
      containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed' } } }],
    };
    k(s, ['-n', ns, 'patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  }

  before(async () => {
    s = await startServer({ env: { SKIFF_CRONJOB_CLOCK_OFFSET: '65' } });
  });
  after(() => s?.cleanup());

  function statefulSet(ns: string, name: string, spec: object): void {
    k(s, ['create', 'namespace', ns]);
    const body = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name },
      spec: {
        serviceName: name,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
        ...spec,
      },
    };
    k(s, ['-n', ns, 'apply', '-f', '-'], JSON.stringify(body));
  }

  test('StatefulSet OrderedReady: created one at a time in order, identity and claims, deleted in reverse', async () => {
    statefulSet('sts-ordered', 'web', {
      replicas: 3,
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    });
    const ns = 'sts-ordered';
    for (const [i, name] of ['web-0', 'web-1', 'web-2'].entries()) {
      await until(`${name} created`, () => podNames(ns, 'app=web').includes(name));
      await sleep(500);
      // the next ordinal waits for this one to be Running and Ready
      assert.deepEqual(podNames(ns, 'app=web'), ['web-0', 'web-1', 'web-2'].slice(0, i + 1));
      markReady(ns, name);
    }
    const pod = json(['-n', ns, 'get', 'pod', 'web-1']);
    assert.equal(pod.spec.hostname, 'web-1');
    assert.equal(pod.spec.subdomain, 'web');
    assert.equal(pod.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(pod.metadata.labels['apps.kubernetes.io/pod-index'], '1');
    assert.deepEqual(pod.spec.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim, { claimName: 'data-web-1' });
    assert.match(k(s, ['-n', ns, 'get', 'pvc', '-o', 'name']), /data-web-0\n.*data-web-1\n.*data-web-2/s);
    assert.match(k(s, ['-n', ns, 'rollout', 'status', 'statefulset/web', '--timeout=20s']), /roll out complete: 3 new pods/);
    const st = json(['-n', ns, 'get', 'sts', 'web']).status;
    assert.equal(st.replicas, 3);
    assert.equal(st.readyReplicas, 3);
    assert.equal(st.availableReplicas, 3);
    assert.equal(st.currentRevision, st.updateRevision);
    assert.equal(st.observedGeneration, 1);
    const crs = json(['-n', ns, 'get', 'controllerrevisions']).items as any[];
    assert.equal(crs.length, 1);
    assert.equal(crs[0].metadata.name, st.updateRevision);
    assert.equal(pod.metadata.labels['controller-revision-hash'], st.updateRevision);

    // scale down: web-2 first, and web-1 only once web-2 is gone
    k(s, ['-n', ns, 'scale', 'sts/web', '--replicas=1']);
    await until('web-2 deleted', () => !podNames(ns, 'app=web').includes('web-2'));
    await until('web-1 deleted', () => !podNames(ns, 'app=web').includes('web-1'));
    assert.deepEqual(podNames(ns, 'app=web'), ['web-0']);
    assert.equal(kubectl(s, ['-n', ns, 'get', 'pvc', 'data-web-2']).code, 0, 'claims are retained by default');
    const events = k(s, ['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=StatefulSet', '--sort-by=.lastTimestamp', '-o', 'custom-columns=MSG:.message']);
    assert.ok(events.indexOf('delete Pod web-2') < events.indexOf('delete Pod web-1'), events);
  });

  test('StatefulSet Parallel creates every pod at once; a failed pod is replaced', async () => {
    statefulSet('sts-parallel', 'par', { replicas: 3, podManagementPolicy: 'Parallel' });
    await until('all three at once', () => podNames('sts-parallel', 'app=par').length === 3);
    const before = json(['-n', 'sts-parallel', 'get', 'pod', 'par-1']).metadata.uid;
    markExited('sts-parallel', 'par-1', 1);
    await until('par-1 replaced', () => kubectl(s, ['-n', 'sts-parallel', 'get', 'pod', 'par-1', '-o', 'jsonpath={.metadata.uid}']).stdout.replace(before, '') !== '' && kubectl(s, ['-n', 'sts-parallel', 'get', 'pod', 'par-1']).code === 0);
  });

  test('StatefulSet RollingUpdate with a partition, rollout history and undo', async () => {
    const ns = 'sts-roll';
    statefulSet(ns, 'db', { replicas: 3, podManagementPolicy: 'Parallel', minReadySeconds: 1 });
    await until('pods', () => podNames(ns, 'app=db').length === 3);
    for (const p of podNames(ns, 'app=db')) markReady(ns, p);
    assert.match(k(s, ['-n', ns, 'rollout', 'status', 'sts/db', '--timeout=20s']), /complete/);
    const first = json(['-n', ns, 'get', 'sts', 'db']).status.updateRevision;
    await until('available after minReadySeconds', () => json(['-n', ns, 'get', 'sts', 'db']).status.availableReplicas === 3);

    // partition 2: only db-2 moves to the new template
    k(s, ['-n', ns, 'patch', 'sts', 'db', '--type=merge', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}']);
    k(s, ['-n', ns, 'set', 'image', 'sts/db', 'c=busybox:2']);
    const revOf = (p: string) => kubectl(s, ['-n', ns, 'get', 'pod', p, '-o', 'jsonpath={.metadata.labels.controller-revision-hash}']).stdout;
    const second = await until('new revision', () => {
      const r = json(['-n', ns, 'get', 'sts', 'db']).status.updateRevision;
      return r !== first && r;
    });
    await until('db-2 recreated at the new revision', () => revOf('db-2') === second);
    markReady(ns, 'db-2');
    await sleep(1500);
    assert.equal(revOf('db-1'), first, 'below the partition stays');
    assert.equal(revOf('db-0'), first);
    assert.match(k(s, ['-n', ns, 'rollout', 'status', 'sts/db', '--timeout=20s']), /partitioned roll out complete: 1 new pods/);

    // partition 0: db-1 then db-0, each after the one above is ready again
    k(s, ['-n', ns, 'patch', 'sts', 'db', '--type=merge', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}']);
    await until('db-1 updated', () => revOf('db-1') === second);
    await sleep(500);
    assert.equal(revOf('db-0'), first, 'db-0 waits for db-1 to be ready');
    markReady(ns, 'db-1');
    await until('db-0 updated', () => revOf('db-0') === second);
    markReady(ns, 'db-0');
    await until('current revision moves', () => json(['-n', ns, 'get', 'sts', 'db']).status.currentRevision === second);

    const history = k(s, ['-n', ns, 'rollout', 'history', 'sts/db']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    assert.match(k(s, ['-n', ns, 'rollout', 'history', 'sts/db', '--revision=1']), /busybox:1/);
    k(s, ['-n', ns, 'rollout', 'undo', 'sts/db']);
    assert.equal(k(s, ['-n', ns, 'get', 'sts', 'db', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1');
    await until('old revision is the update revision again, renumbered', () => {
      const st = json(['-n', ns, 'get', 'sts', 'db']).status;
      const cr = kubectl(s, ['-n', ns, 'get', 'controllerrevision', first, '-o', 'jsonpath={.revision}']).stdout;
      return st.updateRevision === first && cr === '3';
    });
    await until('db-2 rolled back', () => revOf('db-2') === first);
  });

  test('StatefulSet RollingUpdate maxUnavailable 2 replaces two pods at a time; 0 is refused with 422', async () => {
    const ns = 'sts-maxunavailable';
    statefulSet(ns, 'mu', { replicas: 4, podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    await until('pods', () => podNames(ns, 'app=mu').length === 4);
    for (const p of podNames(ns, 'app=mu')) markReady(ns, p);
    await until('all ready', () => json(['-n', ns, 'get', 'sts', 'mu']).status.readyReplicas === 4);
    assert.equal(k(s, ['-n', ns, 'get', 'sts', 'mu', '-o', 'jsonpath={.spec.updateStrategy.rollingUpdate.maxUnavailable}']), '2');
    const image = (p: string) => kubectl(s, ['-n', ns, 'get', 'pod', p, '-o', 'jsonpath={.spec.containers[0].image}']).stdout;
    k(s, ['-n', ns, 'set', 'image', 'sts/mu', 'c=busybox:2']);
    await until('mu-3 and mu-2 replaced together', () => image('mu-3') === 'busybox:2' && image('mu-2') === 'busybox:2');
    await sleep(500);
    assert.deepEqual([image('mu-1'), image('mu-0')], ['busybox:1', 'busybox:1'], 'two new pods not ready yet: the budget is spent');
    markReady(ns, 'mu-3');
    markReady(ns, 'mu-2');
    await until('mu-1 and mu-0 replaced together', () => image('mu-1') === 'busybox:2' && image('mu-0') === 'busybox:2');

    const zero = kubectl(s, ['-n', ns, 'patch', 'sts', 'mu', '--type=merge', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":0}}}}']);
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /The StatefulSet "mu" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0/);
  });

  test('StatefulSet OnDelete updates a pod only when it is deleted; claims retention Delete', async () => {
    const ns = 'sts-ondelete';
    statefulSet(ns, 'od', {
      replicas: 2,
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      volumeClaimTemplates: [{ metadata: { name: 'v' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    });
    await until('pods', () => podNames(ns, 'app=od').length === 2);
    for (const p of podNames(ns, 'app=od')) markReady(ns, p);
    const first = await until('revision', () => json(['-n', ns, 'get', 'sts', 'od']).status.updateRevision);
    k(s, ['-n', ns, 'set', 'image', 'sts/od', 'c=busybox:2']);
    await until('new update revision', () => json(['-n', ns, 'get', 'sts', 'od']).status.updateRevision !== first);
    await sleep(1000);
    const image = (p: string) => kubectl(s, ['-n', ns, 'get', 'pod', p, '-o', 'jsonpath={.spec.containers[0].image}']).stdout;
    assert.equal(image('od-1'), 'busybox:1', 'OnDelete leaves running pods alone');
    k(s, ['-n', ns, 'delete', 'pod', 'od-1', '--wait=false']);
    await until('od-1 recreated on the new template', () => image('od-1') === 'busybox:2');
    assert.equal(image('od-0'), 'busybox:1');
    const claim = json(['-n', ns, 'get', 'pvc', 'v-od-0']);
    assert.ok(claim.metadata.ownerReferences.some((r: any) => r.kind === 'StatefulSet' && r.name === 'od'), 'whenDeleted: Delete makes the set own the claim');
    k(s, ['-n', ns, 'scale', 'sts/od', '--replicas=1']);
    await until('claim of the removed ordinal goes with its pod', () => kubectl(s, ['-n', ns, 'get', 'pvc', 'v-od-1']).code === 1);
    k(s, ['-n', ns, 'delete', 'sts', 'od']);
    await until('claims go with the set', () => kubectl(s, ['-n', ns, 'get', 'pvc', 'v-od-0']).code === 1);
  });

  test('a */1 CronJob creates its Job (named by the scheduled minute), with status and events', async () => {
    k(s, ['create', 'namespace', 'cron']);
    k(s, ['-n', 'cron', 'create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'true']);
    const job = await until('a job', () => (json(['-n', 'cron', 'get', 'jobs']).items as any[])[0]);
    const m = /^tick-(\d+)$/.exec(job.metadata.name);
    assert.ok(m, job.metadata.name);
    const scheduled = Number(m![1]) * 60_000;
    assert.equal(job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(scheduled).toISOString().replace('.000Z', 'Z'));
    assert.equal(job.metadata.ownerReferences[0].kind, 'CronJob');
    const cj = await until('status', () => {
      const c = json(['-n', 'cron', 'get', 'cronjob', 'tick']);
      return c.status?.active?.length === 1 && c;
    });
    assert.equal(cj.status.active[0].name, job.metadata.name);
    assert.equal(Date.parse(cj.status.lastScheduleTime), scheduled);
    assert.match(k(s, ['-n', 'cron', 'get', 'events', '--field-selector', 'involvedObject.kind=CronJob']), new RegExp(`SuccessfulCreate\\s+cronjob/tick\\s+Created job ${job.metadata.name}`));

    // the job's pod succeeds: the job completes, the CronJob notes it
    const pod = await until('job pod', () => podNames('cron', `job-name=${job.metadata.name}`)[0]);
    markExited('cron', pod, 0);
    // the completed job leaves status.active (the next minute's job may already be there: the
    // controller's clock runs 65 s ahead, so the next schedule can come within seconds)
    await until('lastSuccessfulTime', () => {
      const c = json(['-n', 'cron', 'get', 'cronjob', 'tick']);
      return c.status?.lastSuccessfulTime && !((c.status.active ?? []) as Array<{ name: string }>).some((a) => a.name === job.metadata.name);
    });
    assert.match(k(s, ['-n', 'cron', 'get', 'events', '--field-selector', 'involvedObject.kind=CronJob']), /SawCompletedJob/);

    // a CronJob the controller could not run is refused at the API with upstream's 422 causes
    const bad = kubectl(s, ['-n', 'cron', 'create', 'cronjob', 'bad', '--image=busybox', '--schedule=bad', '--', 'true']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /failed to create cronjob: CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: \[bad\]/);
    const tz = kubectl(s, ['-n', 'cron', 'create', 'cronjob', 'tz', '--image=busybox', '--schedule=CRON_TZ=UTC * * * * *', '--', 'true']);
    assert.match(tz.stderr, /cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);
    const lost = kubectl(s, ['-n', 'cron', 'create', '-f', '-'], JSON.stringify({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'lost' }, spec: { schedule: '* * * * *', timeZone: 'Mars/Base', startingDeadlineSeconds: -1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } } }));
    assert.match(lost.stderr, /spec.timeZone: Invalid value: "Mars\/Base": unknown time zone Mars\/Base/);
    assert.match(lost.stderr, /spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0/);
    assert.equal(kubectl(s, ['-n', 'cron', 'get', 'cronjob', 'bad']).code, 1, 'nothing stored');

    // suspended: nothing runs
    k(s, ['-n', 'cron', 'create', 'cronjob', 'held', '--image=busybox', '--schedule=* * * * *', '--', 'true']);
    k(s, ['-n', 'cron', 'patch', 'cronjob', 'held', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    await sleep(1000);
    // it may have fired once before the patch landed; once suspended, never again
    const heldJobs = () => (json(['-n', 'cron', 'get', 'jobs']).items as any[]).filter((j) => j.metadata.name.startsWith('held-')).length;
    assert.ok(heldJobs() <= 1);
  });

  test('Job: podFailurePolicy FailJob on an exit code, Ignore for DisruptionTarget, suspend, ttlSecondsAfterFinished', async () => {
    k(s, ['create', 'namespace', 'jobs']);
    const job = (name: string, spec: object) =>
      k(s, ['-n', 'jobs', 'create', '-f', '-'], JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec } }));
    job('pfp', {
      backoffLimit: 6,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
        ],
      },
    });
    const first = await until('pod', () => podNames('jobs', 'job-name=pfp')[0]);
    markExited('jobs', first, 137, [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }]);
    const second = await until('a replacement', () => podNames('jobs', 'job-name=pfp').find((p) => p !== first));
    await sleep(500);
    assert.equal(json(['-n', 'jobs', 'get', 'job', 'pfp']).status.failed, undefined, 'an ignored failure does not count');
    markExited('jobs', second, 42);
    const failed = await until('Failed', () => (json(['-n', 'jobs', 'get', 'job', 'pfp']).status.conditions ?? []).find((c: any) => c.type === 'Failed'));
    assert.equal(failed.reason, 'PodFailurePolicy');
    assert.match(failed.message, /exit code 42 matching FailJob rule at index 1/);
    assert.equal(kubectl(s, ['-n', 'jobs', 'wait', '--for=condition=Failed', 'job/pfp', '--timeout=5s']).code, 0);

    job('held', { suspend: true, ttlSecondsAfterFinished: 2 });
    await until('Suspended', () => (json(['-n', 'jobs', 'get', 'job', 'held']).status.conditions ?? []).some((c: any) => c.type === 'Suspended' && c.status === 'True'));
    assert.deepEqual(podNames('jobs', 'job-name=held'), [], 'a suspended job runs no pods');
    k(s, ['-n', 'jobs', 'patch', 'job', 'held', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    const pod = await until('resumed pod', () => podNames('jobs', 'job-name=held')[0]);
    assert.equal((json(['-n', 'jobs', 'get', 'job', 'held']).status.conditions as any[]).find((c) => c.type === 'Suspended').reason, 'JobResumed');
    markExited('jobs', pod, 0);
    // the TTL controller deletes only finished jobs, so on a slow machine a job
    // already gone (NotFound) has completed too: poll without throwing on it
    await until('Complete', () => {
      const r = kubectl(s, ['-n', 'jobs', 'get', 'job', 'held', '-o', 'json']);
      if (r.code !== 0) return /NotFound/.test(r.stderr);
      return (JSON.parse(r.stdout).status.conditions ?? []).some((c: any) => c.type === 'Complete' && c.status === 'True');
    });
    // two seconds after finishing, the TTL controller deletes the job, and the collector its pod
    await until('deleted by TTL', () => kubectl(s, ['-n', 'jobs', 'get', 'job', 'held']).code === 1, 15_000);
    await until('its pod collected', () => kubectl(s, ['-n', 'jobs', 'get', 'pod', pod]).code === 1, 15_000);
  });

  test('Deployment: progress deadline fails rollout status; pause and resume; proportional scaling mid-rollout', async () => {
    const ns = 'deploy';
    k(s, ['create', 'namespace', ns]);
    // pods never become ready: the rollout is stuck and the deadline says so
    k(s, ['-n', ns, 'create', 'deployment', 'stuck', '--image=busybox', '--replicas=1']);
    k(s, ['-n', ns, 'patch', 'deploy', 'stuck', '--type=merge', '-p', '{"spec":{"progressDeadlineSeconds":2}}']);
    const r = kubectl(s, ['-n', ns, 'rollout', 'status', 'deploy/stuck', '--timeout=30s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /exceeded its progress deadline/);
    const cond = (json(['-n', ns, 'get', 'deploy', 'stuck']).status.conditions as any[]).find((c) => c.type === 'Progressing');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'ProgressDeadlineExceeded');

    // ten ready pods, a new template that cannot become ready, then a resize to 20 mid-rollout
    k(s, ['-n', ns, 'create', 'deployment', 'web', '--image=busybox:1', '--replicas=10']);
    const readyAll = () => {
      for (const p of json(['-n', ns, 'get', 'pods', '-l', 'app=web']).items as any[]) if (!p.metadata.deletionTimestamp && p.status.phase !== 'Running') markReady(ns, p.metadata.name);
    };
    await until('10 pods', () => podNames(ns, 'app=web').length === 10);
    readyAll();
    assert.match(k(s, ['-n', ns, 'rollout', 'status', 'deploy/web', '--timeout=20s']), /successfully rolled out/);

    // paused: a template change makes no new ReplicaSet until resumed
    k(s, ['-n', ns, 'rollout', 'pause', 'deploy/web']);
    k(s, ['-n', ns, 'set', 'image', 'deploy/web', 'busybox=busybox:2']);
    await until('Progressing Unknown/DeploymentPaused', () => (json(['-n', ns, 'get', 'deploy', 'web']).status.conditions as any[]).some((c) => c.reason === 'DeploymentPaused'));
    assert.equal((json(['-n', ns, 'get', 'rs', '-l', 'app=web']).items as any[]).length, 1);
    k(s, ['-n', ns, 'rollout', 'resume', 'deploy/web']);
    const sets = () => (json(['-n', ns, 'get', 'rs', '-l', 'app=web']).items as any[]).map((rs) => ({ image: rs.spec.template.spec.containers[0].image as string, replicas: rs.spec.replicas as number }));
    // maxSurge 25% of 10 = 3 new pods, maxUnavailable 2 old ones gone: 8 old + 5 new (none ready)
    await until('rollout under way', () => {
      const x = sets();
      return x.length === 2 && x.find((v) => v.image === 'busybox:2')!.replicas === 5 && x.find((v) => v.image === 'busybox:1')!.replicas === 8;
    });
    k(s, ['-n', ns, 'scale', 'deploy/web', '--replicas=20']);
    // 20 + 5 surge = 25 spread as 8:5 of 13 -> 15 old, 10 new
    await until('proportional', () => {
      const x = sets();
      const old = x.find((v) => v.image === 'busybox:1')!.replicas;
      const neu = x.find((v) => v.image === 'busybox:2')!.replicas;
      return old + neu === 25 && old === 15 && neu === 10 && x;
    });
  });
});
