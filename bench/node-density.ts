// Node density: N pods (default 100) on one real node (`skiff up`: control
// plane and agent in one process, runc + conmon containers, pod network).
// Prints create -> Running for the batch, then, with every pod running, the
// skiff process's CPU and RSS at rest and the conmon monitors' total RSS.
// Run as root: node --import tsx bench/node-density.ts [pods=100] [restSeconds=20]
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { k, kubectl } from '../test/e2e/harness.js';
import { startNodeCluster } from '../test/e2e/node-harness.js';
import { summary } from './lib.js';

const count = Number(process.argv[2] ?? 100);
const restSeconds = Number(process.argv[3] ?? 20);
const TICKS = 100; // USER_HZ

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime + stime + the reaped children's (runc, conmon launches, nft, CNI plugins)
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
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

// the node's default capacity is upstream's 110 pods
const node = await startNodeCluster('density');
const s = node.s;
try {
  const pid = s.proc.pid!;
  const cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  const idleStart = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, 5000));
  const idleCpu = (cpuTicks(pid) - idleStart) / TICKS / 5;
  console.log(`empty node: skiff CPU ${(idleCpu * 100).toFixed(1)}% of a core, RSS ${rssMiB(pid).toFixed(0)} MiB`);

  const items = Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `d${i}`, labels: { bench: 'density' } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
  }));
  const t0 = Date.now();
  // in lists of 10 (each kubectl call has a minute); --validate=false: kubectl
  // validates a List against /openapi/v2 in protobuf, which skiff does not serve yet
  for (let i = 0; i < items.length; i += 10) k(s, ['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.slice(i, i + 10) }));
  console.log(`${count} pods created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const seen = new Map<string, number>();
  while (seen.size < count) {
    for (const p of JSON.parse(k(s, ['get', 'pods', '-l', 'bench=density', '-o', 'json'])).items) {
      if (!seen.has(p.metadata.name) && p.status?.containerStatuses?.[0]?.state?.running) seen.set(p.metadata.name, Date.now() - t0);
    }
    if (Date.now() - t0 > 600_000) throw new Error(`only ${seen.size}/${count} running after 10 min`);
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(summary(`${count} pods created at once (create -> Running seen by kubectl)`, [...seen.values()], Date.now() - t0));

  await new Promise((r) => setTimeout(r, 3000)); // let the last status writes settle
  const restStart = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, restSeconds * 1000));
  const restCpu = (cpuTicks(pid) - restStart) / TICKS / restSeconds;
  const conmons = conmonPids(s.dataDir);
  const conmonRss = conmons.reduce((a, p) => a + rssMiB(p), 0);
  console.log(`${count} pods running, at rest over ${restSeconds} s: skiff CPU ${(restCpu * 100).toFixed(1)}% of a core (${cores} cores), RSS ${rssMiB(pid).toFixed(0)} MiB; ${conmons.length} conmon monitors, ${conmonRss.toFixed(0)} MiB RSS together`);
} finally {
  kubectl(s, ['delete', 'pods', '-l', 'bench=density', '--grace-period=0', '--force', '--wait=false']);
  await node.stop();
}
