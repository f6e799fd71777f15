// The image store as an OCI image layout: blobs by digest, manifests, names in
// index.json, garbage collection, and the lock that keeps writers apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LayoutStore, BlobNotFound, sha256 } from '../../../src/image/store.js';
import { packLayer, writeImage } from '../../../src/image/layer-pack.js';
import { normalizeReference, parseReference, InvalidReference } from '../../../src/image/reference.js';
import { withLockSync } from '../../../src/image/file-lock.js';
import { imageLowers } from '../../../src/image/layer-unpack.js';
import { removeUnusedLayers } from '../../../src/image/layer-gc.js';
import { isMounted, mountOverlay } from '../../../src/runtime/oci/mounts.js';
import { execFileSync } from 'node:child_process';

function tempStore(t: { after: (fn: () => void) => void }): LayoutStore {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-image-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new LayoutStore(join(dir, 'images'));
}

function imageFrom(store: LayoutStore, files: Record<string, string>, names: string[]): string {
  const dir = store.tempPath('src');
  for (const [p, c] of Object.entries(files)) {
    const f = join(dir, p);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, c);
  }
  const layer = packLayer(store, dir);
  rmSync(dir, { recursive: true });
  return writeImage(store, [layer], { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] } }, names);
}

test('references normalize as Docker reads them', () => {
  assert.equal(normalizeReference('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeReference('docker.io/library/busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(normalizeReference('me/app:2'), 'docker.io/me/app:2');
  assert.equal(normalizeReference('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(parseReference(`x@sha256:${'a'.repeat(64)}`).digest, `sha256:${'a'.repeat(64)}`);
  assert.throws(() => parseReference('Upper/Case'), InvalidReference);
  assert.throws(() => parseReference('a b'), InvalidReference);
  assert.throws(() => parseReference('x@sha256:short'), InvalidReference);
});

test('blobs round-trip by digest; a missing one is a typed error', (t) => {
  const store = tempStore(t);
  const d = store.putBlob(Buffer.from('hello'));
  assert.equal(d, sha256('hello'));
  assert.equal(store.getBlob(d).toString(), 'hello');
  assert.equal(store.putBlob(Buffer.from('hello')), d, 'the same content is the same blob');
  assert.throws(() => store.getBlob(sha256('nope')), BlobNotFound);
  // no temporary files are left behind
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
});

test('manifests, names in index.json, resolve, list, untag and garbage collection', (t) => {
  const store = tempStore(t);
  const digest = imageFrom(store, { 'etc/motd': 'hi\n' }, ['demo:1', 'example.com/team/demo:1']);
  const index = JSON.parse(readFileSync(join(store.root, 'index.json'), 'utf8'));
  assert.deepEqual(index.manifests.map((m: any) => m.annotations['org.opencontainers.image.ref.name']).sort(), ['docker.io/library/demo:1', 'example.com/team/demo:1']);
  assert.equal(JSON.parse(readFileSync(join(store.root, 'oci-layout'), 'utf8')).imageLayoutVersion, '1.0.0');
  assert.equal(store.resolve('demo:1'), digest);
  assert.equal(store.resolve('docker.io/library/demo:1'), digest);
  assert.equal(store.resolve(`demo@${digest}`), digest);
  assert.equal(store.resolve('demo:2'), undefined);
  const img = store.image('demo:1')!;
  assert.equal(img.manifest.layers.length, 1);
  assert.equal(img.config.rootfs.diff_ids[0], img.manifest.layers[0].digest, 'plain tar layers: diffID is the digest');
  assert.deepEqual(store.list().map((i) => i.names.length), [2]);
  // a manifest whose blobs are missing is refused
  assert.throws(() => store.putManifest({ ...img.manifest, layers: [{ ...img.manifest.layers[0], digest: sha256('missing') }] }), BlobNotFound);
  assert.equal(store.untag('demo:1'), true);
  assert.equal(store.untag('demo:1'), false);
  assert.equal(store.collectGarbage(), 0, 'still reachable through the other name');
  store.untag('example.com/team/demo:1');
  assert.equal(store.collectGarbage(), 3, 'manifest, config and layer go');
  assert.equal(store.list().length, 0);
});

test('the lock file keeps writers apart and a dead owner\'s lock is taken over', (t) => {
  const store = tempStore(t);
  const lock = join(store.root, 'lock');
  // a lock left by a process that no longer exists
  writeFileSync(lock, '999999999');
  assert.equal(withLockSync(lock, () => existsSync(lock)), true);
  assert.equal(existsSync(lock), false);
  // a live owner (this process) makes a second taker wait, then time out
  writeFileSync(lock, String(process.pid));
  assert.throws(() => withLockSync(lock, () => 1, 100), /timed out/);
  rmSync(lock);
  store.tag('x:1', imageFrom(store, { a: 'b' }, []));
  assert.ok(store.resolve('x:1'));
});

test('unpacked layers go with the last image that uses them, unless a mount still reads them', async (t) => {
  const store = tempStore(t);
  const a = imageFrom(store, { 'a/file': 'a' }, ['a:1']);
  const b = imageFrom(store, { 'b/file': 'b' }, ['b:1']);
  const dirA = (await imageLowers(store, store.image(a)!))[0];
  const dirB = (await imageLowers(store, store.image(b)!))[0];
  const merged = join(store.root, '..', 'merged');
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(store.root, '..', d));
  await mountOverlay([dirB], join(store.root, '..', 'upper'), join(store.root, '..', 'work'), merged);
  t.after(() => {
    if (isMounted(merged)) execFileSync('umount', [merged]);
  });
  assert.equal(removeUnusedLayers(store), 0, 'both images still exist');
  store.untag('a:1');
  store.untag('b:1');
  store.collectGarbage();
  assert.equal(removeUnusedLayers(store), 1);
  assert.equal(existsSync(dirA), false);
  assert.equal(existsSync(dirB), true, 'a mounted layer stays');
  execFileSync('umount', [merged]);
  assert.equal(removeUnusedLayers(store), 1);
  assert.equal(existsSync(dirB), false);
});
