// What the eviction manager's storage measurement costs (issue 3): the du-style
// walk (src/kubelet/eviction/pod-usage.ts diskUsage) over a pod-sized tree of
// real files, as it runs for every pod with a storage limit each monitoring
// interval and for every pod under pressure. Prints files/s and ms per walk, and
// the longest the event loop was held meanwhile (the walk yields every 2000 entries).
// Run: node --import tsx bench/eviction-measure.ts [files=10000] [rounds=20]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { diskUsage } from '../src/kubelet/eviction/pod-usage.js';

const files = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 20);
const root = mkdtempSync(join(tmpdir(), 'skiff-bench-du-'));
try {
  // 100 files a directory, 4 KiB each: an unpacked package tree's shape
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(dir);
    writeFileSync(join(dir, `f${i}`), Buffer.alloc(4096, 1));
  }
  await diskUsage(root); // warm the dentry cache, as a repeated pass sees it
  const times: number[] = [];
  let last;
  // the event loop's longest stall during the walks: a timer that should fire every 1 ms
  let stall = 0;
  let tick = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - tick);
    tick = now;
  }, 1);
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    last = await diskUsage(root);
    times.push(performance.now() - t);
  }
  clearInterval(timer);
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`tree: ${files} files, ${last!.inodes} inodes, ${(last!.bytes / 1024 / 1024).toFixed(1)} MiB allocated`);
  console.log(`walk: median ${median.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms over ${rounds} rounds (${Math.round(files / (median / 1000))} files/s); longest event-loop stall ${stall.toFixed(1)} ms`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
