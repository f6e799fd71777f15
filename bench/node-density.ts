// Node density (issue 3): N pods (default 100) on one real node (runc +
// conmon containers, pod network). The node is a separate `skiff agent`
// process by default (mode `agent`: its own RSS and CPU, as the goal
// reads), or `skiff up` (mode `up`: control plane and agent in one process).
// Prints create -> Running for the batch (pods created through the API with
// spec.nodeName, Running seen by a watch), then, with every pod running, the
// node process's CPU and RSS at rest and the conmon monitors' total RSS.
// Server, agent and this script run in a network namespace the bench makes.
// Run as root: SKIFF_USE_DIST=1 node --import tsx bench/node-density.ts [pods=100] [restSeconds=20] [agent|up]
// (after `npm run build`, or SKIFF_DIST=DIR for another build; without either skiff runs through tsx, whose loader adds RSS)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../test/e2e/harness.js';
import { removeCgroupParent, removeContainers } from '../test/e2e/node-harness.js';
import { inBenchNetns, spawnSkiff, startAgentNode } from './agent-node.js';
import { adminClient, summary } from './lib.js';

const count = Number(process.argv[2] ?? 100);
const restSeconds = Number(process.argv[3] ?? 20);
const mode = process.argv[4] ?? 'agent';
if (mode !== 'agent' && mode !== 'up') throw new Error(`mode is agent or up, not ${mode}`);
await inBenchNetns('skiff-density');
const TICKS = 100; // USER_HZ

type Obj = Record<string, any>;

/** CPU ticks of the process itself, and with its reaped children (runc, conmon launches, mount, CNI plugins). */
function cpuTicks(pid: number): { own: number; withChildren: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = Number(f[11]) + Number(f[12]);
  return { own, withChildren: own + Number(f[13]) + Number(f[14]) };
}

function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

function describeMemory(pid: number): string {
  const m = memory(pid);
  return `RSS ${m.rss.toFixed(1)} MiB (anonymous ${m.anon.toFixed(1)}, files ${m.file.toFixed(1)})`;
}

/** Pids of conmon processes whose command line names this node's data dir. */
function conmonPids(dataDir: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(dataDir)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `skiff up` in the bench's namespace: server and node in one process. */
async function startUp() {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-density-up-'));
  const cgroupParent = `/skiff-bench-density-up-${process.pid}`;
  const port = await freePort();
  const nodeName = 'density-node';
  const up = await spawnSkiff(['up', '--data-dir', dataDir, '--port', String(port), '--node-name', nodeName, '--cgroup-parent', cgroupParent], 'skiff node agent running');
  return {
    port, nodeName, kubeconfig: join(dataDir, 'admin.kubeconfig'), agentDataDir: dataDir, pid: up.proc.pid!,
    async stop() {
      const exited = new Promise((r) => up.proc.once('exit', r));
      up.proc.kill('SIGTERM');
      await exited;
      removeContainers(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      await removeCgroupParent(cgroupParent);
    },
  };
}

const node = mode === 'agent' ? await startAgentNode('density').then((n) => ({ ...n, pid: n.agent.proc.pid! })) : await startUp();
const api = adminClient(node.kubeconfig, node.port);
const names = Array.from({ length: count }, (_, i) => `d${i}`);
const created = new Map<string, number>();
const running = new Map<string, number>();
let allRunning: () => void = () => {};
const everyoneRunning = new Promise<void>((r) => (allRunning = r));
const stopWatch = await api.watch('/api/v1/namespaces/default/pods?watch=1&labelSelector=bench%3Ddensity', (line) => {
  if (!line.trim()) return;
  const p = (JSON.parse(line) as { object: Obj }).object;
  const name = p.metadata?.name as string;
  if (created.has(name) && !running.has(name) && p.status?.containerStatuses?.[0]?.state?.running) {
    running.set(name, performance.now());
    if (running.size === count) allRunning();
  }
});
try {
  const pid = node.pid;
  const cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  const idleStart = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, 5000));
  const idleEnd = cpuTicks(pid);
  console.log(`empty node (${mode === 'agent' ? 'separate skiff agent' : 'skiff up'}, ${process.env.SKIFF_DIST || process.env.SKIFF_USE_DIST ? 'compiled' : 'tsx'}): CPU ${(((idleEnd.own - idleStart.own) / TICKS / 5) * 100).toFixed(1)}% of a core, ${describeMemory(pid)}`);

  const burstStart = cpuTicks(pid);
  const t0 = performance.now();
  await Promise.all(names.map(async (name) => {
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { bench: 'density' } }, spec: { nodeName: node.nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] } };
    for (let attempt = 0; ; attempt++) {
      created.set(name, performance.now());
      const r = await api.request('POST', '/api/v1/namespaces/default/pods', body);
      if (r.code === 201) return;
      // the default ServiceAccount appears a moment after the server starts
      if (attempt > 100 || ![403, 404, 500].includes(r.code)) throw new Error(`create ${name}: ${r.code} ${r.body}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }));
  console.log(`${count} pods created in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const timeout = setTimeout(() => allRunning(), 600_000);
  await everyoneRunning;
  clearTimeout(timeout);
  if (running.size < count) throw new Error(`only ${running.size}/${count} running after 10 min`);
  console.log(summary(`${count} pods at once (create -> Running)`, names.map((n) => running.get(n)! - created.get(n)!), performance.now() - t0));
  const burstEnd = cpuTicks(pid);
  // children count once reaped: conmon's launcher, runc create/start, mount, CNI plugins (not the conmon monitors themselves)
  console.log(`starting them took ${((burstEnd.own - burstStart.own) / TICKS / count * 1000).toFixed(0)} ms of CPU per pod in the node process, ${((burstEnd.withChildren - burstStart.withChildren) / TICKS / count * 1000).toFixed(0)} ms with the processes it ran; right after: ${describeMemory(pid)}`);

  await new Promise((r) => setTimeout(r, 3000)); // let the last status writes settle
  const restStart = cpuTicks(pid);
  // RSS once a second over the rest: one sample can land just before or after a GC
  const samples: number[] = [];
  for (let s = 0; s < restSeconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(memory(pid).rss);
  }
  const restEnd = cpuTicks(pid);
  const pct = (a: number, b: number) => (((b - a) / TICKS / restSeconds) * 100).toFixed(1);
  const conmons = conmonPids(node.agentDataDir);
  const conmonRss = conmons.reduce((a, p) => a + memory(p).rss, 0);
  console.log(`${count} pods running, at rest over ${restSeconds} s: ${mode === 'agent' ? 'agent' : 'skiff up'} CPU ${pct(restStart.own, restEnd.own)}% of a core (${pct(restStart.withChildren, restEnd.withChildren)}% with the processes it ran; ${cores} cores), ${describeMemory(pid)}, RSS once a second mean ${(samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(1)} max ${Math.max(...samples).toFixed(1)} MiB; ${conmons.length} conmon monitors, ${conmonRss.toFixed(0)} MiB RSS together`);
} finally {
  stopWatch();
  await Promise.all(names.map((n) => api.request('DELETE', `/api/v1/namespaces/default/pods/${n}`, { gracePeriodSeconds: 0 }).catch(() => undefined)));
  for (const end = Date.now() + 120_000; Date.now() < end; ) {
    const r = await api.request('GET', '/api/v1/namespaces/default/pods?labelSelector=bench%3Ddensity').catch(() => undefined);
    if (!r || (JSON.parse(r.body) as Obj).items?.length === 0) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  api.agent.destroy();
  await node.stop();
}
