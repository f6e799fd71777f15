// Node runtime options on a real node, driven by the real kubectl: crun as the
// node's runtime (create, start, exec, attach, kill, delete through conmon),
// runc picked by a RuntimeClass, unknown classes and handlers failing the
// sandbox with an event; seccomp RuntimeDefault / Unconfined / Localhost seen
// from inside the containers; and MemoryPressure from a hard eviction
// threshold above the machine's memory, with its NoSchedule taint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { k, kubectl, until } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';


const MEMORY_TAINT = 'node.kubernetes.io/memory-pressure';

describe('runtime options: crun, RuntimeClass, seccomp, node pressure', () => {
  let c: NodeCluster;
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const pod = (name: string, spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.nodeName, terminationGracePeriodSeconds: 2, ...spec } });
  const getPod = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json']));
  const running = (name: string) => until(`${name} running`, () => getPod(name).status?.phase === 'Running');
  const exec = (name: string, container: string, script: string) => kubectl(c.s, ['exec', name, '-c', container, '--', 'sh', '-c', script]);
  const list = (runtime: 'runc' | 'crun') => execFileSync(runtime, ['--root', join(c.s.dataDir, 'agent/runtime', runtime), 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const containerIds = (name: string) => (getPod(name).status.containerStatuses as Array<{ containerID: string }>).map((s) => s.containerID.replace(/^\w+:\/\//, ''));
  const eventsFor = (name: string, reason: string) =>
    (JSON.parse(k(c.s, ['get', 'events', '--field-selector', `involvedObject.name=${name},reason=${reason}`, '-o', 'json'])).items as Array<{ message: string; type: string }>);

  before(async () => {
    // memory.available<1000Gi is more than this machine has: MemoryPressure without using any memory;
    // pod eviction is off (monitoring interval 0), or this file's pods would be evicted one by one
    c = await startNodeCluster('skiff-rtopt', { args: ['--runtime', 'crun', '--eviction-hard', 'memory.available<1000Gi,nodefs.available<1%', '--eviction-monitoring-interval', '0'] });
  });

  after(async () => {
    await c?.stop();
  });

  test('a hard eviction threshold above what is available: MemoryPressure, its taint, and a pod that is not scheduled', async () => {
    const node = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json']));
    const cond = (type: string) => (node.status.conditions as Array<{ type: string; status: string; reason: string }>).find((x) => x.type === type)!;
    assert.equal(cond('MemoryPressure').status, 'True');
    assert.equal(cond('MemoryPressure').reason, 'KubeletHasInsufficientMemory');
    assert.equal(cond('DiskPressure').status, 'False', 'the disk has more than 1% free');
    assert.equal(cond('PIDPressure').status, 'False');
    assert.equal(cond('Ready').status, 'True');
    assert.equal(node.status.allocatable.memory, '0Ki', 'the eviction reserve is held back from allocatable');
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^crun:\/\/1\.\d+/);
    // the node lifecycle controller turns the condition into a NoSchedule taint
    await until('the memory-pressure taint', () => k(c.s, ['get', 'node', c.nodeName, '-o', 'jsonpath={.spec.taints}']).includes(MEMORY_TAINT));
    const taints = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'jsonpath={.spec.taints}']));
    assert.deepEqual(taints.find((t: { key: string }) => t.key === MEMORY_TAINT), { key: MEMORY_TAINT, effect: 'NoSchedule' });
    assert.match(k(c.s, ['describe', 'node', c.nodeName]), /MemoryPressure\s+True\s.*KubeletHasInsufficientMemory/);
    // the scheduler keeps pods that do not tolerate it away
    k(c.s, ['run', 'unplaced', '--image=busybox', '--restart=Never', '--', 'sleep', '1000']);
    const why = await until('unplaced to be refused', () => (getPod('unplaced').status?.conditions ?? []).find((x: { type: string; status: string }) => x.type === 'PodScheduled' && x.status === 'False')?.message as string | undefined);
    assert.match(why, /untolerated taint \{node\.kubernetes\.io\/memory-pressure/);
  });

  test('crun as the node runtime: seccomp RuntimeDefault, Unconfined and Localhost inside one pod; exec, kill and delete', async () => {
    // a Localhost profile lives under the agent's data dir, as the kubelet's <root-dir>/seccomp
    mkdirSync(join(c.s.dataDir, 'agent/seccomp'), { recursive: true });
    writeFileSync(join(c.s.dataDir, 'agent/seccomp/deny-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const sleeper = { image: 'busybox', command: ['sleep', '100000'] };
    apply(pod('sec', {
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        { name: 'default', ...sleeper },
        { name: 'open', ...sleeper, securityContext: { seccompProfile: { type: 'Unconfined' } } },
        { name: 'local', ...sleeper, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'deny-mkdir.json' } } },
      ],
    }));
    await running('sec');
    const ids = containerIds('sec');
    assert.ok(ids.every((id) => list('crun').includes(id)), `crun runs ${ids.join(', ')}: ${list('crun').join(', ')}`);
    assert.ok(!ids.some((id) => list('runc').includes(id)));

    const confined = exec('sec', 'default', 'grep ^Seccomp: /proc/self/status; unshare -U true; echo unshare=$?; mount -t tmpfs t /mnt; echo mount=$?');
    assert.equal(confined.code, 0, confined.stderr);
    assert.match(confined.stdout, /Seccomp:\s+2\n/);
    assert.match(confined.stdout, /unshare=1\b/);
    assert.match(confined.stdout + confined.stderr, /unshare.*Operation not permitted/);
    assert.match(confined.stdout, /mount=[1-9]/);

    const open = exec('sec', 'open', 'grep ^Seccomp: /proc/self/status; unshare -U true; echo unshare=$?');
    assert.match(open.stdout, /Seccomp:\s+0\n/);
    assert.match(open.stdout, /unshare=0\b/, 'without a filter a user namespace is allowed, so the check above can fail');

    const local = exec('sec', 'local', 'grep ^Seccomp: /proc/self/status; unshare -U true; echo unshare=$?; mkdir /tmp/x; echo mkdir=$?');
    assert.match(local.stdout, /Seccomp:\s+2\n/);
    assert.match(local.stdout, /unshare=0\b/, 'the Localhost profile allows what it does not name');
    assert.match(local.stdout, /mkdir=1\b/);

    // kill and delete go through crun too: the containers are gone from its state
    k(c.s, ['delete', 'pod', 'sec', '--grace-period=1', '--wait=true', '--timeout=30s']);
    const left = list('crun');
    assert.ok(!ids.some((id) => left.includes(id)), `left in crun: ${left.join(', ')}`);
  });

  test('crun containers are attached to through conmon', async () => {
    apply(pod('reader', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'while read l; do echo got:$l; done; echo stdin-closed'] }] }));
    await running('reader');
    const r = kubectl(c.s, ['attach', '-i', 'reader'], 'hello\nworld\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /got:hello\ngot:world\nstdin-closed/);
    await until('reader to finish', () => getPod('reader').status?.phase === 'Succeeded');
    assert.equal(getPod('reader').status.containerStatuses[0].state.terminated.exitCode, 0);
  });

  test('a RuntimeClass with handler runc runs its pods with runc; missing classes and unknown handlers fail the sandbox', async () => {
    apply({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'classic' }, handler: 'runc' });
    apply({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'vm' }, handler: 'kata' });
    assert.match(k(c.s, ['get', 'runtimeclass', 'classic']), /classic\s+runc\s/);
    const noHandler = kubectl(c.s, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'empty' } }));
    assert.notEqual(noHandler.code, 0);
    assert.match(noHandler.stderr, /is invalid: handler: Required value/);
    apply(pod('classic', { runtimeClassName: 'classic', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'] }] }));
    apply(pod('missing', { runtimeClassName: 'nope', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'] }] }));
    apply(pod('unhandled', { runtimeClassName: 'vm', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'] }] }));
    await running('classic');
    const [id] = containerIds('classic');
    assert.ok(list('runc').includes(id!), `runc runs ${id}`);
    assert.ok(!list('crun').includes(id!));
    const r = exec('classic', 'main', 'echo via-$((40+2))');
    assert.equal(r.stdout, 'via-42\n', r.stderr);

    const missing = await until('FailedCreatePodSandBox for missing', () => eventsFor('missing', 'FailedCreatePodSandBox')[0]);
    assert.equal(missing.type, 'Warning');
    assert.equal(missing.message, 'Failed to create pod sandbox: RuntimeClass "nope" not found');
    const st = getPod('missing').status;
    assert.equal(st.phase, 'Pending');
    assert.equal(st.containerStatuses[0].state.waiting.reason, 'ContainerCreating');
    const unhandled = await until('FailedCreatePodSandBox for unhandled', () => eventsFor('unhandled', 'FailedCreatePodSandBox')[0]);
    assert.match(unhandled.message, /no runtime for "kata" is configured on this node/);
    k(c.s, ['delete', 'pod', 'classic', '--grace-period=1', '--wait=true', '--timeout=30s']);
    assert.ok(!list('runc').includes(id!));
  });
});
