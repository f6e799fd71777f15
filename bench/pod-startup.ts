// Pod start latency on one real node: time from create to the pod's Running
// status (containers started by runc), one at a time and 20 at once.
// Run as root: SKIFF_USE_DIST=1 node --import tsx bench/pod-startup.ts
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { k, kubectl, startServer } from '../test/e2e/harness.js';
import { makeNetns, removeNetns } from '../test/e2e/netns.js';
import { summary } from './lib.js';

const NODE = 'bench-node';
const cgroupParent = `/skiff-bench-${process.pid}`;
const netns = makeNetns('skiff-bench');
const s = await startServer({ netns, command: 'up', args: ['--node-name', NODE, '--cgroup-parent', cgroupParent] });

function pod(name: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { bench: 'yes' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } });
}

async function runningAll(names: string[], t0: Map<string, number>, out: number[]): Promise<void> {
  const pending = new Set(names);
  while (pending.size) {
    const items = JSON.parse(k(s, ['get', 'pods', '-l', 'bench=yes', '-o', 'json'])).items;
    for (const p of items) {
      if (pending.has(p.metadata.name) && p.status?.containerStatuses?.[0]?.state?.running) {
        out.push(Date.now() - t0.get(p.metadata.name)!);
        pending.delete(p.metadata.name);
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

try {
  // warm-up: the first pod unpacks the built-in image
  k(s, ['apply', '-f', '-'], pod('warm'));
  await runningAll(['warm'], new Map([['warm', Date.now()]]), []);
  const serial: number[] = [];
  for (let i = 0; i < 10; i++) {
    const name = `s${i}`;
    const t0 = new Map([[name, Date.now()]]);
    k(s, ['apply', '-f', '-'], pod(name));
    await runningAll([name], t0, serial);
  }
  console.log(summary('one at a time (create -> Running)', serial));
  const names = Array.from({ length: 20 }, (_, i) => `p${i}`);
  const t0 = new Map<string, number>();
  const start = Date.now();
  for (const n of names) {
    t0.set(n, Date.now());
    k(s, ['apply', '-f', '-'], pod(n));
  }
  const burst: number[] = [];
  await runningAll(names, t0, burst);
  console.log(summary('20 at once (create -> Running)', burst, Date.now() - start));
} finally {
  kubectl(s, ['delete', 'pods', '-l', 'bench=yes', '--grace-period=0', '--timeout=60s']);
  await s.stop();
  const root = join(s.dataDir, 'agent/runtime/runc');
  if (existsSync(root)) for (const id of execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean)) execFileSync('runc', ['--root', root, 'delete', '--force', id]);
  s.cleanup();
  removeNetns(netns);
  for (const tree of readdirSync('/sys/fs/cgroup')) {
    try {
      rmdirSync(join('/sys/fs/cgroup', tree, cgroupParent));
    } catch {
      // not created on this hierarchy
    }
  }
}
