// Pod start latency on one real node (issue 3): the time from the create
// request (spec.nodeName already set, so no scheduler) to the pod's Running
// and Ready status as a watch sees it, for N busybox pods (default 100) one
// at a time and all at once; in the same run, the same busybox rootfs under a
// bare `runc run` and, when podman is installed, `podman run --rootfs`.
// The node is a separate `skiff agent` process; server, agent and this script
// run in a network namespace the bench makes.
// Run as root: SKIFF_USE_DIST=1 node --import tsx bench/pod-startup.ts [pods=100] [all|serial|burst|runtimes]
// (after `npm run build`, or SKIFF_DIST=DIR for another build; without either the agent runs through tsx)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeCgroupParent } from '../test/e2e/node-harness.js';
import { inBenchNetns, startAgentNode } from './agent-node.js';
import { adminClient, summary } from './lib.js';

const count = Number(process.argv[2] ?? 100);
// which parts to run: all, or one of serial, burst, runtimes
const part = process.argv[3] ?? 'all';
const runs = (p: string) => part === 'all' || part === p;
await inBenchNetns('skiff-podstart');

type Obj = Record<string, any>;

/** `cmd args` timed n times one after another; undefined (with the reason printed) when it cannot run here. */
function timeRuns(name: string, n: number, argv: (i: number) => string[], detached = false): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [cmd, ...args] = argv(i);
    const t0 = performance.now();
    // a detached container keeps the stdio it was given: a pipe would stay open (and spawnSync wait) until it exits
    const r = spawnSync(cmd!, args, { stdio: ['ignore', 'ignore', detached ? 'ignore' : 'pipe'], encoding: 'utf8', timeout: 60_000 });
    const ms = performance.now() - t0;
    if (r.status !== 0) {
      console.log(`${name}: cannot run here (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
      return undefined;
    }
    out.push(ms);
  }
  return out;
}

/** An OCI bundle over the rootfs (read-only, as shared), from `runc spec`, with its own cgroup. */
function bundle(dir: string, rootfs: string, args: string[], cgroupsPath: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('runc', ['spec', '--bundle', dir]);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Obj;
  spec.root = { path: rootfs, readonly: true };
  spec.process.args = args;
  spec.process.terminal = false;
  spec.linux.cgroupsPath = cgroupsPath;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

async function compareRuntimes(rootfs: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'skiff-bench-runc-'));
  const cg = `/skiff-bench-runtimes-${process.pid}`;
  const state = join(work, 'state');
  try {
    const b = bundle(join(work, 'true'), rootfs, ['/bin/true'], `${cg}/runc-true`);
    const runTrue = timeRuns('runc run', count, (i) => ['runc', '--root', state, 'run', '--bundle', b, `t${i}`]);
    if (runTrue) console.log(summary('runc run /bin/true (to exit)', runTrue));
    // detached: returns once the container runs, as a pod's container does; each its own cgroup
    const detached = timeRuns('runc run -d', count, (i) => ['runc', '--root', state, 'run', '-d', '--bundle', bundle(join(work, `d${i}`), rootfs, ['/bin/sleep', '3600'], `${cg}/runc-d${i}`), `d${i}`], true);
    if (detached) console.log(summary('runc run -d sleep (to started)', detached));
    for (let i = 0; i < count; i++) spawnSync('runc', ['--root', state, 'delete', '--force', `d${i}`], { stdio: 'ignore' });

    const podman = spawnSync('podman', ['--version'], { encoding: 'utf8' });
    if (podman.status !== 0) {
      console.log('podman run: not installed (apt-get install podman); skipped');
      return;
    }
    // podman's own storage under the bench's dir; no network (it would make a bridge), cgroupfs under our parent;
    // runc as for the pods (Debian's crun refuses the hybrid cgroup layout), and file and process limits within ours
    // (podman's defaults are more than this machine lets a process raise to)
    const nofile = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    // (podman sets its process limit in the container's init, where this machine's own hard limit is refused)
    const nproc = Math.min(4096, Number(execFileSync('bash', ['-c', 'ulimit -Hu'], { encoding: 'utf8' }).trim()) || 4096);
    const pm = (i: number, extra: string[], args: string[]) => ['podman', '--root', join(work, 'podman/root'), '--runroot', join(work, 'podman/run'), '--tmpdir', join(work, 'podman/tmp'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', 'run', ...extra, '--runtime', 'runc', '--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`, '--network', 'none', '--cgroup-parent', `${cg}/podman`, '--name', `p${i}`, '--rootfs', rootfs, ...args];
    const podmanTrue = timeRuns(`podman run (${podman.stdout.trim()})`, count, (i) => pm(i, ['--rm'], ['/bin/true']));
    if (podmanTrue) console.log(summary('podman run --rm /bin/true (to exit)', podmanTrue));
    const podmanD = timeRuns('podman run -d', count, (i) => pm(1000 + i, ['-d'], ['/bin/sleep', '3600']), true);
    if (podmanD) console.log(summary('podman run -d sleep (to started)', podmanD));
    spawnSync('podman', ['--root', join(work, 'podman/root'), '--runroot', join(work, 'podman/run'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', 'rm', '-f', '-t', '0', '-a'], { stdio: 'ignore' });
  } finally {
    // podman keeps its storage's overlay directory mounted, and the `podman container cleanup` its conmons
    // run as containers end mounts it again a moment later: detach it (lazily, with what is below) until
    // the directory can go
    const overlay = join(work, 'podman/root/overlay');
    for (let i = 0; i < 30; i++) {
      spawnSync('umount', ['-l', overlay], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 100));
      if (!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${overlay} `)) break;
    }
    spawnSync('umount', ['-l', overlay], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
    await removeCgroupParent(cg);
  }
}

const node = await startAgentNode('podstart');
const api = adminClient(node.kubeconfig, node.port);
const NS = 'default';

function pod(name: string): Obj {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { bench: 'startup' } },
    // a local image: IfNotPresent, as for any image the node already has
    spec: { nodeName: node.nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  };
}

// every pod's create time and when the watch first saw it Running and Ready
const created = new Map<string, number>();
const running = new Map<string, number>();
const ready = new Map<string, number>();
const waiters = new Map<string, () => void>();
const stopWatch = await api.watch(`/api/v1/namespaces/${NS}/pods?watch=1&labelSelector=bench%3Dstartup`, (line) => {
  if (!line.trim()) return;
  const now = performance.now();
  const ev = JSON.parse(line) as { type: string; object: Obj };
  const p = ev.object;
  const name = p.metadata?.name as string;
  if (!name || !created.has(name)) return;
  if (!running.has(name) && p.status?.phase === 'Running' && p.status?.containerStatuses?.[0]?.state?.running) running.set(name, now);
  if (!ready.has(name) && (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True')) {
    ready.set(name, now);
    waiters.get(name)?.();
  }
});

async function create(name: string): Promise<void> {
  const body = pod(name);
  for (;;) {
    created.set(name, performance.now());
    const r = await api.request('POST', `/api/v1/namespaces/${NS}/pods`, body);
    if (r.code === 201) return;
    // the default ServiceAccount appears a moment after the server starts
    if (r.code === 403 || r.code === 500 || r.code === 404) {
      await new Promise((res) => setTimeout(res, 200));
      continue;
    }
    throw new Error(`create ${name}: ${r.code} ${r.body}`);
  }
}

function readyOf(name: string): Promise<void> {
  return ready.has(name) ? Promise.resolve() : new Promise((r) => waiters.set(name, r));
}

async function deleteAll(names: string[]): Promise<void> {
  await Promise.all(names.map((n) => api.request('DELETE', `/api/v1/namespaces/${NS}/pods/${n}`, { gracePeriodSeconds: 0 })));
  // gone from the API means the agent stopped the containers (it deletes the object last)
  for (const end = Date.now() + 300_000; Date.now() < end; ) {
    const r = await api.request('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=bench%3Dstartup`);
    if ((JSON.parse(r.body) as Obj).items.length === 0) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error('pods were not removed within 5 minutes');
}

function report(label: string, names: string[], wallMs?: number): void {
  console.log(summary(`${label}: create -> Running`, names.map((n) => running.get(n)! - created.get(n)!), wallMs));
  console.log(summary(`${label}: create -> Ready`, names.map((n) => ready.get(n)! - created.get(n)!), wallMs));
}

try {
  console.log(`${count} busybox pods on one separate skiff agent (${process.env.SKIFF_DIST ? `compiled, ${process.env.SKIFF_DIST}` : process.env.SKIFF_USE_DIST ? 'compiled, dist' : 'tsx'}), ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
  // warm-up: the first pod unpacks the built-in image
  await create('warm');
  await readyOf('warm');
  await deleteAll(['warm']);

  if (runs('serial')) {
    const serial = Array.from({ length: count }, (_, i) => `s${i}`);
    for (const n of serial) {
      await create(n);
      await readyOf(n);
    }
    report(`${count} one at a time`, serial);
    await deleteAll(serial);
  }

  if (runs('burst')) {
    const burst = Array.from({ length: count }, (_, i) => `b${i}`);
    const start = performance.now();
    await Promise.all(burst.map((n) => create(n)));
    const createdIn = performance.now() - start;
    await Promise.all(burst.map((n) => readyOf(n)));
    report(`${count} at once`, burst, performance.now() - start);
    console.log(`  (the ${count} creates took ${createdIn.toFixed(0)} ms)`);
    await deleteAll(burst);
  }

  if (runs('runtimes')) {
    // the same busybox rootfs the node made for its built-in image
    const rootfs = join(node.agentDataDir, 'agent/images/builtin/busybox/rootfs');
    const copy = mkdtempSync(join(tmpdir(), 'skiff-bench-rootfs-'));
    cpSync(rootfs, copy, { recursive: true, verbatimSymlinks: true });
    try {
      await compareRuntimes(copy);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
} finally {
  stopWatch();
  api.agent.destroy();
  await node.stop();
}
