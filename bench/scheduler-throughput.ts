// Scheduler throughput: a `skiff server` with only the scheduler running, N fake
// Nodes created through the API (no agents; Ready and allocatable set through the
// status subresource), then P pods created by many concurrent keep-alive
// requests. Measures pods/s from the first create to the last bind, and the
// create->bound latency from the pod watch (ADDED to the first event with a node).
// Run: node --import tsx bench/scheduler-throughput.ts [--nodes 1000,5000] [--pods 10000] [--concurrency 64] [--cycles-only | --creates-only]
//      SKIFF_USE_DIST=1 uses the compiled build, SKIFF_DIST=DIR another one (A/B); SKIFF_CPU_PROF=DIR profiles the server (node --cpu-prof).
//      --timeline prints, every second, pods created and bound and the CPU the server and this bench used.
// Also prints the server's CPU time over the pod phase (its main thread, and all its
// threads) per pod: on a shared machine pods/s moves with the load, CPU per pod much less,
// and 1000 / (main-thread ms per pod) is the server's ceiling with a core of its own.
import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_CONTROLLERS } from '../src/controllers/manager.js';
import { freePort, startServer } from '../test/e2e/harness.js';
import { SchedulerCache } from '../src/scheduler/cache.js';
import { schedulePod } from '../src/scheduler/framework.js';
import { adminClient, lineSplitter, percentile } from './lib.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000,5000' },
    pods: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    'cycles-only': { type: 'boolean', default: false },
    // the same creates with no scheduler running: the API's own ceiling, for comparison
    'creates-only': { type: 'boolean', default: false },
    // every second: pods created and bound so far, server main/all-thread and bench CPU in that second
    timeline: { type: 'boolean', default: false },
  },
});
const podCount = Number(values.pods);
const concurrency = Number(values.concurrency);

async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** CPU seconds (user + system) of one thread, or of the whole process, from /proc (Linux). */
function cpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name; utime and stime are the 14th and 15th
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The server's resident memory now and its peak, MiB (/proc: VmRSS, VmHWM). */
function serverRss(pid: number | undefined): string {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mib = (k: string) => (Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1]) / 1024).toFixed(0);
    return `server RSS ${mib('VmRSS')} MiB (peak ${mib('VmHWM')} MiB)`;
  } catch {
    return 'server RSS unknown';
  }
}

function serverCpu(pid: number | undefined): { main: number; all: number } {
  if (!pid) return { main: NaN, all: NaN };
  let all = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) all += cpuSeconds(pid, Number(t));
  } catch {
    all = NaN;
  }
  return { main: cpuSeconds(pid, pid), all };
}

/** The server under `node --cpu-prof` (not allowed in NODE_OPTIONS, so spawned here). */
async function startProfiled(args: string[], dir: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  const port = await freePort();
  // the compiled build with SKIFF_USE_DIST, as startServer: its profile has the real line numbers
  const dist = process.env.SKIFF_DIST ?? (process.env.SKIFF_USE_DIST ? 'dist' : undefined);
  const entry = dist ? [join(dist, 'src/cli/main.js')] : ['--import', 'tsx', 'src/cli/main.ts'];
  const proc = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...entry, 'server', '--data-dir', dataDir, '--port', String(port), ...args], { cwd: new URL('../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) => proc.stdout!.on('data', (d) => String(d).includes('skiff server ready') && resolve()));
  const exited = new Promise((r) => proc.once('exit', r));
  proc.stdout!.on('data', (d) => process.env.SKIFF_BENCH_LOG && process.stderr.write(d));
  proc.stderr!.on('data', (d) => process.env.SKIFF_BENCH_LOG && process.stderr.write(d));
  return {
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
    port,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function run(nodeCount: number): Promise<void> {
  const createsOnly = values['creates-only'];
  const args = ALL_CONTROLLERS.filter((c) => createsOnly || c !== 'scheduler').flatMap((c) => ['--disable-controller', c]);
  const s = process.env.SKIFF_CPU_PROF ? await startProfiled(args, process.env.SKIFF_CPU_PROF) : await startServer({ args });
  try {
    const c = adminClient(s.kubeconfig, s.port, concurrency);
    let t = performance.now();
    await pool(nodeCount, concurrency, async (i) => {
      const name = `node-${i}`;
      const r = await c.request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } } });
      if (r.code !== 201) throw new Error(`node create ${r.code} ${r.body}`);
      const status = { status: { capacity: { cpu: '32', memory: '128Gi', pods: '110' }, allocatable: { cpu: '32', memory: '128Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } };
      const p = await c.request('PATCH', `/api/v1/nodes/${name}/status`, status, 'application/merge-patch+json');
      if (p.code !== 200) throw new Error(`node status ${p.code} ${p.body}`);
    });
    console.log(`-- ${nodeCount} nodes created in ${((performance.now() - t) / 1000).toFixed(1)}s`);
    // the scheduler sees the nodes through its watch; give it a moment to catch up
    await new Promise((r) => setTimeout(r, 2000));

    const added = new Map<string, number>();
    const bound = new Map<string, number>();
    let resolveAll!: () => void;
    const allBound = new Promise<void>((r) => (resolveAll = r));
    const list = JSON.parse((await c.request('GET', '/api/v1/namespaces/default/pods?limit=1')).body);
    let rv = list.metadata.resourceVersion as string;
    let watching = true;
    let rewatches = 0;
    let gone = false;
    const onEvent = (line: string) => {
      const now = performance.now();
      const ev = JSON.parse(line);
      const o = ev.object;
      if (o?.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
      const name = o?.metadata?.name as string;
      if (ev.type === 'ERROR') gone = true;
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR' || !name) return;
      if (ev.type === 'ADDED' && !added.has(name)) added.set(name, now);
      if (o.spec?.nodeName && !bound.has(name)) {
        bound.set(name, now);
        if (bound.size === podCount) resolveAll();
      }
    };
    // the server ends a watch that falls too far behind (as upstream): watch again from where it stopped
    const watchLoop = async () => {
      while (watching) {
        await new Promise<void>((done) => {
          const req = https.request({ host: '127.0.0.1', port: s.port, path: `/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, agent: watchAgent }, (res) => {
            res.setEncoding('utf8');
            res.on('data', lineSplitter(onEvent));
            res.on('end', done);
            res.on('error', () => done());
          });
          req.on('error', () => done());
          req.end();
          stopWatch = () => req.destroy();
        });
        if (watching) rewatches++;
        if (watching && gone) {
          // 410: the history moved on; a list says what is bound now (their bind times are then late)
          gone = false;
          const l = JSON.parse((await c.request('GET', '/api/v1/namespaces/default/pods')).body);
          rv = l.metadata.resourceVersion;
          for (const o of l.items) onEvent(JSON.stringify({ type: 'ADDED', object: o }));
        }
      }
    };
    const watchAgent = new https.Agent({ ca: c.agent.options.ca, cert: c.agent.options.cert, key: c.agent.options.key });
    let stopWatch = () => {};
    const watchDone = watchLoop();
    const stop = () => {
      watching = false;
      stopWatch();
      return watchDone;
    };
    const spec = { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] };
    t = performance.now();
    const cpu0 = serverCpu(s.proc.pid);
    const bench0 = process.cpuUsage();
    let createdAt = 0;
    let created = 0;
    let last = { cpu: cpu0, bench: bench0 };
    const ticker = values.timeline
      ? setInterval(() => {
          const cpu = serverCpu(s.proc.pid);
          const bench = process.cpuUsage();
          const ms = (a: number, b: number) => ((a - b) * 1000).toFixed(0).padStart(4);
          const benchMs = ((bench.user + bench.system - last.bench.user - last.bench.system) / 1000).toFixed(0).padStart(4);
          console.log(`   t=${((performance.now() - t) / 1000).toFixed(0).padStart(2)}s created ${String(created).padStart(5)} bound ${String(bound.size).padStart(5)}  CPU ms/s: server main ${ms(cpu.main, last.cpu.main)} all ${ms(cpu.all, last.cpu.all)}, bench ${benchMs}  load ${loadavg()[0].toFixed(2)}`);
          last = { cpu, bench };
        }, 1000)
      : undefined;
    await pool(podCount, concurrency, async (i) => {
      const r = await c.request('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}` }, spec });
      if (r.code !== 201) throw new Error(`pod create ${r.code} ${r.body}`);
      created++;
    });
    createdAt = performance.now();
    const cpuLine = () => {
      const cpu = serverCpu(s.proc.pid);
      const main = ((cpu.main - cpu0.main) * 1e6) / podCount;
      const all = ((cpu.all - cpu0.all) * 1e6) / podCount;
      return `   server CPU per pod: main thread ${main.toFixed(0)}us (a ${(1e6 / main).toFixed(0)} pods/s ceiling), all threads ${all.toFixed(0)}us`;
    };
    if (createsOnly) {
      clearInterval(ticker);
      console.log(`   no scheduler: ${podCount} pods created in ${((createdAt - t) / 1000).toFixed(1)}s (${(podCount / ((createdAt - t) / 1000)).toFixed(0)} creates/s)`);
      console.log(cpuLine());
      await stop();
      c.agent.destroy();
      return;
    }
    const timeout = setTimeout(() => resolveAll(), Number(process.env.SKIFF_BENCH_TIMEOUT_MS) || 300_000);
    await allBound;
    clearTimeout(timeout);
    const end = performance.now();
    clearInterval(ticker);
    const cpuAtEnd = cpuLine();
    const benchCpu = process.cpuUsage(bench0);
    const rssAtEnd = serverRss(s.proc.pid);
    await stop();
    if (bound.size < podCount) {
      const all = JSON.parse((await c.request('GET', '/api/v1/namespaces/default/pods')).body).items as Array<{ spec: { nodeName?: string } }>;
      console.log(`   timed out: the watch saw ${bound.size} bound, the API has ${all.filter((p) => p.spec.nodeName).length}/${all.length}`);
    }
    const lat = [...bound].map(([n, b]) => b - (added.get(n) ?? b)).sort((a, b) => a - b);
    const createS = (createdAt - t) / 1000;
    const totalS = (end - t) / 1000;
    console.log(`   ${podCount} pods created in ${createS.toFixed(1)}s (${(podCount / createS).toFixed(0)} creates/s, ${concurrency} concurrent keep-alive requests)`);
    console.log(`   ${bound.size}/${podCount} bound in ${totalS.toFixed(1)}s from the first create: ${(bound.size / totalS).toFixed(0)} pods/s`);
    if (rewatches) console.log(`   (the bench's pod watch fell behind and was ended by the server ${rewatches} time(s); it resumed from its last resourceVersion)`);
    console.log(`${cpuAtEnd}; this bench process ${((benchCpu.user + benchCpu.system) / podCount).toFixed(0)}us`);
    console.log(`   create->bound latency p50=${percentile(lat, 50).toFixed(0)}ms p99=${percentile(lat, 99).toFixed(0)}ms max=${lat.at(-1)?.toFixed(0)}ms`);
    console.log(`   ${rssAtEnd}`);
    c.agent.destroy();
  } finally {
    await s.stop();
    s.cleanup();
  }
}

/** The scheduling cycles alone, in this process on the scheduler's own cache: its ceiling without the API. */
function cyclesOnly(nodeCount: number): void {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodeCount; i++) {
    const name = `node-${i}`;
    cache.setNode({ metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { allocatable: { cpu: '32', memory: '128Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  }
  const spec = { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] };
  let start = 0;
  const t = performance.now();
  for (let i = 0; i < podCount; i++) {
    const pod = { metadata: { name: `pod-${i}`, namespace: 'default' }, spec };
    const r = schedulePod(pod, cache.view(() => undefined), { strategy: 'LeastAllocated', startIndex: start });
    start = (start + r.processed) % nodeCount;
    if (!r.node) throw new Error('unschedulable');
    cache.addPod(`default/pod-${i}`, pod, r.node.node.metadata.name!, false);
  }
  const s = (performance.now() - t) / 1000;
  console.log(`-- ${nodeCount} nodes, scheduling cycles only (no API): ${podCount} pods in ${s.toFixed(2)}s = ${(podCount / s).toFixed(0)} pods/s`);
}

for (const n of values.nodes!.split(',').map(Number)) cyclesOnly(n);
if (!values['cycles-only']) for (const n of values.nodes!.split(',').map(Number)) await run(n);
