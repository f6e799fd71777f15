// The image store's hot paths: packing a directory into a layer (tar +
// sha256), unpacking a layer once for overlay, importing busybox, and a
// Dockerfile build cold and fully cached (RUN in runc).
// Run as root: node --import tsx bench/image-store.ts [MB of files, default 100]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore } from '../src/image/store.js';
import { packLayer } from '../src/image/layer-pack.js';
import { ensureLayer } from '../src/image/layer-unpack.js';
import { importBusybox } from '../src/image/builtin-busybox.js';
import { buildImage } from '../src/image/build/builder.js';

const mb = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-img-'));
const store = new LayoutStore(join(dir, 'images'));
const time = async <T>(fn: () => T | Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
};

try {
  const src = join(dir, 'src');
  // 1 MB files, half random (incompressible), in a few directories
  for (let i = 0; i < mb; i++) {
    mkdirSync(join(src, `d${i % 8}`), { recursive: true });
    writeFileSync(join(src, `d${i % 8}`, `f${i}`), i % 2 ? randomBytes(1 << 20) : Buffer.alloc(1 << 20, i));
  }
  const [layer, packMs] = await time(() => packLayer(store, src));
  console.log(`pack ${mb} MB into a layer: ${packMs.toFixed(0)} ms (${((mb / packMs) * 1000).toFixed(0)} MB/s)`);
  const [, unpackMs] = await time(() => ensureLayer(store, layer.descriptor.digest, layer.diffID));
  console.log(`unpack it once for overlay: ${unpackMs.toFixed(0)} ms (${((mb / unpackMs) * 1000).toFixed(0)} MB/s)`);
  const [, againMs] = await time(() => ensureLayer(store, layer.descriptor.digest, layer.diffID));
  console.log(`second use of the unpacked layer: ${againMs.toFixed(2)} ms`);
  const [, bbMs] = await time(() => importBusybox(store));
  console.log(`import busybox: ${bbMs.toFixed(0)} ms`);
  const ctx = join(dir, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'a.txt'), 'a\n');
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY a.txt /a.txt\nRUN echo built > /b.txt\nCMD ["cat", "/b.txt"]\n');
  const opts = { context: ctx, dockerfile: join(ctx, 'Dockerfile'), tags: ['bench:1'], buildArgs: {}, cgroupParent: `/skiff-bench-build-${process.pid}`, out: () => {} };
  const [, coldMs] = await time(() => buildImage(store, opts));
  console.log(`build FROM busybox + COPY + RUN, cold: ${coldMs.toFixed(0)} ms`);
  const [, warmMs] = await time(() => buildImage(store, opts));
  console.log(`same build, all cached: ${warmMs.toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
