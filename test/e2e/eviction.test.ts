// Node-pressure and local-storage eviction on real nodes (`skiff up` in a
// network namespace, real runc containers, the real kubectl): a pod writing past
// its emptyDir sizeLimit, and one past its container's ephemeral-storage limit,
// are evicted while a neighbour stays; under memory pressure the BestEffort pod
// over its request goes first and a Guaranteed pod using more memory stays, and
// new BestEffort pods are refused while the pressure lasts.
//
// The memory signal is faked, and only it: SKIFF_EVICTION_MEMORY_CGROUP points
// the node's memory.available at its own cgroup parent (the machine's memory less
// what this node's pods use), so the threshold is crossed by the pods' memory
// alone, without starving the machine or depending on what else runs on it.
// Everything else (usage, ranking, the kill, status, events) is the real path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { k, until } from './harness.js';
import { sandboxPid, startNodeCluster, type NodeCluster } from './node-harness.js';
import { LayoutStore } from '../../src/image/store.js';
import { packLayer, writeImage } from '../../src/image/layer-pack.js';

const Mi = 1024 * 1024;
const PREFIX = 'skiff-evict';
// this node's pods may use this much memory before memory.available crosses the threshold
const MEMORY_ALLOWANCE = 130 * Mi;

/** the node's image store (as `skiff image` reaches it; its file lock keeps the agent and us apart) */
const nodeImages = (dataDir: string) => new LayoutStore(join(dataDir, 'agent', 'images'));

/** Stores an image of one layer of mb MiB of random bytes (incompressible, so it takes that room) under name. */
function writeImageOf(dataDir: string, name: string, mb: number): void {
  const store = nodeImages(dataDir);
  const src = store.tempPath('src');
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < mb; i++) writeFileSync(join(src, `part${i}`), randomBytes(Mi));
  const layer = packLayer(store, src);
  rmSync(src, { recursive: true });
  writeImage(store, [layer], { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] } }, [name]);
}
const imageNames = (dataDir: string) => nodeImages(dataDir).list().flatMap((i) => i.names);

/** A node data dir on a 400 MiB tmpfs of its own: disk usage the test controls, measured by a real statfs. */
function mountTmpfsDataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400m,mode=0755', 'tmpfs', dir]);
  return dir;
}

function unmountTmpfsDataDir(dir: string | undefined): void {
  if (!dir) return;
  execFileSync('umount', [dir]);
  rmdirSync(dir);
}

/** Bytes free on a data dir, as the node's nodefs.available sees them. */
function availableOn(dir: string): number {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

describe('eviction: local storage limits and memory pressure', () => {
  let c: NodeCluster;
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const pod = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.nodeName, terminationGracePeriodSeconds: 30, ...spec } });
  const getPod = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json']));
  const running = (name: string) => until(`${name} running`, () => getPod(name).status?.containerStatuses?.every((s: any) => s.state?.running), 120_000);
  const evicted = (name: string) => until(`${name} evicted`, () => {
    const st = getPod(name).status;
    return st?.phase === 'Failed' && st.reason === 'Evicted' ? st : undefined;
  }, 120_000);
  const events = (name: string, reason: string) => JSON.parse(k(c.s, ['get', 'events', '--field-selector', `involvedObject.name=${name},reason=${reason}`, '-o', 'json'])).items as Array<{ type: string; message: string; involvedObject: { kind: string } }>;
  /** runc containers of a pod (by its uid's prefix, as the kubelet names them) */
  const containersOf = (uid: string) => c.runcList().filter((id) => id.startsWith(uid.slice(0, 13)));
  const sleeper = (script: string) => ['sh', '-c', `${script}; trap "exit 0" TERM; while true; do sleep 1; done`];

  before(async () => {
    c = await startNodeCluster(PREFIX, {
      // the same cgroup parent node-harness gives this node
      env: { SKIFF_EVICTION_MEMORY_CGROUP: `/skiff-e2e-${PREFIX}-${process.pid}` },
      args: ['--eviction-hard', `memory.available<${totalmem() - MEMORY_ALLOWANCE}`, '--eviction-monitoring-interval', '1s'],
    });
  });

  after(async () => {
    await c?.stop();
  });

  test('the node reports its ephemeral storage from its filesystem', () => {
    const node = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json']));
    assert.match(node.status.capacity['ephemeral-storage'], /^\d+Ki$/);
    assert.notEqual(node.status.capacity['ephemeral-storage'], '50Gi');
    assert.ok(Number(node.status.capacity['ephemeral-storage'].slice(0, -2)) > 1024 * 1024, 'more than a GiB');
  });

  test('a pod writing past its emptyDir sizeLimit is evicted; its neighbour within its limit stays', async () => {
    apply(pod('filler', { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }], containers: [{ name: 'w', image: 'busybox', command: sleeper('dd if=/dev/zero of=/scratch/f bs=1M count=3'), volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }] }));
    apply(pod('neighbour', { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '10Mi' } }], containers: [{ name: 'w', image: 'busybox', command: sleeper('dd if=/dev/zero of=/scratch/f bs=1M count=1'), volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }] }));
    const st = await evicted('filler');
    assert.equal(st.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    // kubectl's STATUS column shows the killed container's reason over the pod's, as upstream's printer
    // does for an evicted pod whose containers were stopped (Error); describe shows the eviction
    assert.match(k(c.s, ['get', 'pod', 'filler']), /filler\s+0\/1\s+Error\s/);
    const described = k(c.s, ['describe', 'pod', 'filler']);
    assert.match(described, /^Status:\s+Failed$/m);
    assert.match(described, /^Reason:\s+Evicted$/m);
    assert.match(described, /^Message:\s+Usage of EmptyDir volume "scratch" exceeds the limit "1Mi"\.\s*$/m);
    assert.match(described, /Warning\s+Evicted\s.*Usage of EmptyDir volume "scratch" exceeds the limit "1Mi"\./);
    const ev = await until('the Evicted event', () => events('filler', 'Evicted')[0]);
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, st.message);
    // its containers and sandbox are gone from the node
    const uid = getPod('filler').metadata.uid;
    await until('filler containers and sandbox removed', () => containersOf(uid).length === 0 && sandboxPid(c.s.dataDir, uid) === undefined);
    assert.equal(getPod('neighbour').status.phase, 'Running');
    assert.ok(getPod('neighbour').status.containerStatuses[0].state.running);
    k(c.s, ['delete', 'pod', 'filler', 'neighbour', '--grace-period=1']);
  });

  test('a container writing past its ephemeral-storage limit gets its pod evicted', async () => {
    apply(pod('layer-writer', {
      containers: [
        { name: 'w', image: 'busybox', command: sleeper('dd if=/dev/zero of=/tmp/f bs=1M count=4'), resources: { limits: { 'ephemeral-storage': '2Mi' } } },
        // a roomy sibling: the pod's total limit (102Mi) is not what is exceeded
        { name: 'idle', image: 'busybox', command: sleeper('true'), resources: { limits: { 'ephemeral-storage': '100Mi' } } },
      ],
    }));
    const st = await evicted('layer-writer');
    assert.equal(st.message, 'Container w exceeded its local ephemeral storage limit "2Mi". ');
    // nothing runs any more (the sibling may have been evicted before it started)
    for (const s of st.containerStatuses) assert.equal(s.state.running, undefined, `${s.name} not running`);
    assert.ok(st.containerStatuses.find((s: any) => s.name === 'w').state.terminated, 'the writer was killed');
    await until('the Evicted event', () => events('layer-writer', 'Evicted')[0]);
    k(c.s, ['delete', 'pod', 'layer-writer', '--grace-period=1']);
  });

  test('memory pressure: the BestEffort pod over its request is evicted first; the Guaranteed pod using more stays', async () => {
    const mem = (name: string, mb: number, resources: object) =>
      pod(name, {
        volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }],
        // tmpfs pages count in the writer's memory cgroup
        containers: [{ name: 'c', image: 'busybox', command: sleeper(mb ? `dd if=/dev/zero of=/mem/f bs=1M count=${mb}` : 'true'), volumeMounts: [{ name: 'mem', mountPath: '/mem' }], resources }],
      });
    const guaranteed = { requests: { cpu: '100m', memory: '200Mi' }, limits: { cpu: '100m', memory: '200Mi' } };
    apply(mem('guaranteed', 80, guaranteed));
    apply(mem('small', 0, {}));
    await running('guaranteed');
    await running('small');
    // 80Mi in use: under the allowance, no pressure
    apply(mem('hog', 100, {}));
    const st = await evicted('hog');
    assert.match(st.message, /^The node was low on resource: memory\. Threshold quantity: \d+(Ki|Mi)?, available: \d+(Ki|Mi)?\. Container c was using \d+(Ki|Mi)?, request is 0, has larger consumption of memory\. $/);
    const cond = st.conditions.find((x: { type: string }) => x.type === 'DisruptionTarget');
    assert.deepEqual({ status: cond.status, reason: cond.reason }, { status: 'True', reason: 'TerminationByKubelet' });
    assert.equal(k(c.s, ['get', 'pod', 'hog', '-o', 'jsonpath={.status.reason}']), 'Evicted');
    await until('the node event', () => k(c.s, ['get', 'events', '--field-selector', `involvedObject.kind=Node,reason=EvictionThresholdMet`, '-o', 'jsonpath={.items[*].message}']).includes('Attempting to reclaim memory'));
    // MemoryPressure stays for the transition period: a new BestEffort pod is refused, a Burstable one runs
    apply(mem('late-besteffort', 0, {}));
    apply(mem('late-burstable', 0, { requests: { memory: '10Mi' } }));
    const refused = await evicted('late-besteffort');
    assert.equal(refused.message, 'Pod was rejected: The node had condition: [MemoryPressure]. ');
    await until('the rejection event', () => events('late-besteffort', 'Evicted')[0]);
    await running('late-burstable');
    // with the hog gone the pods are under the allowance again: a few more monitoring passes evict nobody
    await new Promise((r) => setTimeout(r, 5000));
    for (const name of ['guaranteed', 'small', 'late-burstable']) {
      const p = getPod(name);
      assert.equal(p.status.phase, 'Running', `${name} stays`);
      assert.equal(p.status.reason, undefined);
    }
  });
});

// Disk pressure from a real measurement: the node's data dir is a small tmpfs the
// test mounts (400Mi), so nodefs.available is what statfs says of it; a pod filling
// its writable layer crosses nodefs.available<200Mi and is the one evicted, its
// layer removed, while a quiet pod stays.
describe('eviction: disk pressure on a small data filesystem', () => {
  let c: NodeCluster;
  let dataDir: string;
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const getPod = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json']));
  const available = () => availableOn(dataDir);

  before(async () => {
    dataDir = mountTmpfsDataDir('skiff-e2e-diskfs-');
    // images count from when they are first seen; no waiting two minutes before one may go
    c = await startNodeCluster('skiff-evdisk', { dataDir, args: ['--eviction-hard', 'nodefs.available<200Mi', '--eviction-monitoring-interval', '1s', '--eviction-pressure-transition-period', '3s', '--minimum-image-ttl-duration', '0s'] });
  });

  after(async () => {
    await c?.stop();
    unmountTmpfsDataDir(dataDir);
  });

  test('under disk pressure an unused image is removed first, and no pod is evicted when that was enough', async () => {
    writeImageOf(dataDir, 'example.com/unused:1', 100);
    // the node reports what it holds (status.images, largest first, repo@digest then the tag)
    await until('the image in the node status', () => {
      const images = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json'])).status.images as Array<{ names: string[]; sizeBytes: number }> | undefined;
      const it = images?.find((i) => i.names.includes('example.com/unused:1'));
      return it && it.names[0]!.startsWith('example.com/unused@sha256:') && it.sizeBytes > 100 * Mi;
    }, 30_000);
    const sleeper = (script: string) => ['sh', '-c', `${script}; trap "exit 0" TERM; while true; do sleep 1; done`];
    // leave 140Mi free: under the 200Mi threshold, and over it again once the 100Mi image is gone
    const fill = Math.ceil((available() - 140 * Mi) / Mi);
    assert.ok(fill > 10, `room to fill (${fill}Mi)`);
    apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'writer2' }, spec: { nodeName: c.nodeName, containers: [{ name: 'c', image: 'busybox', command: sleeper(`dd if=/dev/zero of=/var/fill bs=1M count=${fill}`) }] } });
    await until('the unused image removed', () => !imageNames(dataDir).includes('example.com/unused:1'), 120_000);
    await until('disk freed', () => available() > 200 * Mi);
    assert.ok(imageNames(dataDir).some((n) => n.includes('busybox')), 'the image the pods run stays');
    // a few more monitoring passes: nobody evicted, the writer runs on
    await new Promise((r) => setTimeout(r, 4000));
    const p = getPod('writer2');
    assert.equal(p.status.phase, 'Running', 'the writer runs on');
    assert.equal(p.status.reason, undefined, 'not evicted');
    k(c.s, ['delete', 'pod', 'writer2', '--grace-period=1']);
    await until('the writer\'s layer freed', () => available() > 300 * Mi, 60_000);
    // the next test starts without pressure (new pods are refused under DiskPressure)
    await until('DiskPressure over', () => (JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json'])).status.conditions as Array<{ type: string; status: string }>).find((x) => x.type === 'DiskPressure')?.status === 'False', 60_000);
  });

  test('the pod filling the disk is evicted first and its writable layer freed; the quiet pod stays', async () => {
    const node = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json']));
    assert.equal(node.status.capacity['ephemeral-storage'], `${400 * 1024}Ki`, 'the data dir filesystem is the node ephemeral storage');
    assert.equal(node.status.allocatable['ephemeral-storage'], `${200 * 1024}Ki`, 'less the nodefs.available reserve');
    const sleeper = (script: string) => ['sh', '-c', `${script}; trap "exit 0" TERM; while true; do sleep 1; done`];
    apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'quiet' }, spec: { nodeName: c.nodeName, containers: [{ name: 'c', image: 'busybox', command: sleeper('dd if=/dev/zero of=/tmp/f bs=1M count=2') }] } });
    await until('quiet running', () => getPod('quiet').status?.containerStatuses?.[0]?.state?.running, 120_000);
    // enough to leave 140Mi free: 60Mi under the threshold, whatever the node itself already uses
    const fill = Math.ceil((available() - 140 * Mi) / Mi);
    assert.ok(fill > 60, `room to fill (${fill}Mi)`);
    apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'writer' }, spec: { nodeName: c.nodeName, containers: [{ name: 'c', image: 'busybox', command: sleeper(`dd if=/dev/zero of=/var/fill bs=1M count=${fill}`) }] } });
    const st = await until('writer evicted', () => {
      const s = getPod('writer').status;
      return s?.phase === 'Failed' && s.reason === 'Evicted' ? s : undefined;
    }, 120_000);
    assert.match(st.message, /^The node was low on resource: ephemeral-storage\. Threshold quantity: 200Mi, available: \d+(Ki|Mi)?\. Container c was using \d+(Ki|Mi)?, request is 0, has larger consumption of ephemeral-storage\. $/);
    assert.equal(st.conditions.find((x: { type: string }) => x.type === 'DisruptionTarget')?.reason, 'TerminationByKubelet');
    // the writer's layer is gone: the filesystem has room again
    await until('disk freed', () => available() > 200 * Mi);
    const cond = (JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json'])).status.conditions as Array<{ type: string; status: string }>).find((x) => x.type === 'DiskPressure');
    assert.ok(cond, 'DiskPressure reported');
    await until('the node event', () => k(c.s, ['get', 'events', '--field-selector', 'involvedObject.kind=Node,reason=EvictionThresholdMet', '-o', 'jsonpath={.items[*].message}']).includes('Attempting to reclaim ephemeral-storage'));
    // a few more monitoring passes: no more pressure, nobody else evicted
    await new Promise((r) => setTimeout(r, 4000));
    const quiet = getPod('quiet');
    assert.equal(quiet.status.phase, 'Running');
    assert.equal(quiet.status.reason, undefined);
  });
});

describe('image garbage collection over the high threshold (no eviction)', () => {
  let c: NodeCluster;
  let dataDir: string;
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const available = () => availableOn(dataDir);

  before(async () => {
    dataDir = mountTmpfsDataDir('skiff-e2e-imagegc-');
    // collection from 50% used down to 40%, every second; eviction off, so only the collector frees
    c = await startNodeCluster('skiff-imagegc', {
      dataDir,
      args: ['--eviction-monitoring-interval', '0', '--image-gc-high-threshold', '50', '--image-gc-low-threshold', '40', '--image-gc-period', '1s', '--minimum-image-ttl-duration', '0s'],
    });
  });

  after(async () => {
    await c?.stop();
    unmountTmpfsDataDir(dataDir);
  });

  test('the least recently seen unused image goes, only as much as brings usage to the low threshold', async () => {
    writeImageOf(dataDir, 'example.com/older:1', 60);
    // the collector sees it a pass (1s) before the next one: it is the older
    await new Promise((r) => setTimeout(r, 2500));
    writeImageOf(dataDir, 'example.com/newer:1', 60);
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(imageNames(dataDir).includes('example.com/older:1'), 'under the high threshold nothing goes');
    // 190Mi left free: 52.5% used; down to 40% needs 50Mi, which the older image's 60Mi gives
    const fill = Math.ceil((available() - 190 * Mi) / Mi);
    assert.ok(fill > 10, `room to fill (${fill}Mi)`);
    apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'filler' }, spec: { nodeName: c.nodeName, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `dd if=/dev/zero of=/var/fill bs=1M count=${fill}; trap "exit 0" TERM; while true; do sleep 1; done`] }] } });
    await until('the older image removed', () => !imageNames(dataDir).includes('example.com/older:1'), 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    const names = imageNames(dataDir);
    assert.ok(names.includes('example.com/newer:1'), `the newer image stays (enough was freed): ${names}`);
    assert.ok(names.some((n) => n.includes('busybox')), 'the image in use stays');
    const failed = k(c.s, ['get', 'events', '--field-selector', 'involvedObject.kind=Node,reason=FreeDiskSpaceFailed', '-o', 'jsonpath={.items[*].message}']);
    assert.equal(failed, '', 'enough could be freed');
    k(c.s, ['delete', 'pod', 'filler', '--grace-period=1']);
  });
});
