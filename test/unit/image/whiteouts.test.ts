// Whiteouts both ways on a real overlayfs: OCI ".wh." entries of a layer hide
// lower files once unpacked as a lower, and what a container deletes becomes
// ".wh." entries when its upper is packed as a layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore } from '../../../src/image/store.js';
import { ensureLayer } from '../../../src/image/layer-unpack.js';
import { packLayer } from '../../../src/image/layer-pack.js';
import { TarWriter } from '../../../src/image/tar-writer.js';
import { opaqueDirs } from '../../../src/image/build/run-step.js';

function mountOverlay(lowers: string[], base: string): string {
  const [upper, work, merged] = ['upper', 'work', 'merged'].map((d) => join(base, d));
  for (const d of [upper, work, merged]) mkdirSync(d, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}`, merged]);
  return merged;
}

test('OCI whiteouts in a layer hide the lower layers\' files; opaque directories hide their contents', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-wh-'));
  const mounts: string[] = [];
  t.after(() => {
    for (const m of mounts) execFileSync('umount', [m]);
    rmSync(dir, { recursive: true, force: true });
  });
  const store = new LayoutStore(join(dir, 'images'));
  const src = join(dir, 'src');
  mkdirSync(join(src, 'd'), { recursive: true });
  writeFileSync(join(src, 'a'), 'a');
  writeFileSync(join(src, 'keep'), 'k');
  writeFileSync(join(src, 'd', 'x'), 'x');
  const base = packLayer(store, src);
  const top = new TarWriter(join(dir, 'top.tar'));
  top.addBuffer('.wh.a', Buffer.alloc(0));
  top.header({ name: 'd/', type: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 });
  top.addBuffer('d/.wh..wh..opq', Buffer.alloc(0));
  top.addBuffer('d/y', Buffer.from('y'));
  const { digest } = top.finish();
  store.putBlobFile(join(dir, 'top.tar'), digest);
  return (async () => {
    const lowers = [await ensureLayer(store, digest, digest), await ensureLayer(store, base.descriptor.digest, base.diffID)];
    const merged = mountOverlay(lowers, join(dir, 'c1'));
    mounts.push(merged);
    assert.deepEqual(readdirSync(merged).sort(), ['d', 'keep']);
    assert.deepEqual(readdirSync(join(merged, 'd')), ['y']);
    assert.equal(readFileSync(join(merged, 'keep'), 'utf8'), 'k');
    // unpacked once: a second ensure is the same directory
    assert.equal(await ensureLayer(store, digest, digest), lowers[0]);

    // a container's deletions, packed from its upper, become OCI whiteouts
    const m2 = mountOverlay([lowers[1]], join(dir, 'c2'));
    mounts.push(m2);
    rmSync(join(m2, 'a'));
    rmSync(join(m2, 'd'), { recursive: true });
    mkdirSync(join(m2, 'd'));
    writeFileSync(join(m2, 'd', 'z'), 'z');
    const upper = join(dir, 'c2', 'upper');
    const layer = packLayer(store, upper, { overlayWhiteouts: true, opaqueDirs: await opaqueDirs(upper) });
    const names = execFileSync('tar', ['-tf', store.blobPath(layer.descriptor.digest)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(names, ['.wh.a', 'd/', 'd/.wh..wh..opq', 'd/z']);
    assert.deepEqual(readdirSync(join(dir, 'images', 'tmp')), [], 'no scratch left behind');
  })();
});
