// The kubelet's image garbage collector over a real image store (OCI layout in a
// temp dir, real blobs and unpacked layers). The one stand-in is the image
// filesystem's size: the tests cannot fill this machine's disk, so the
// "filesystem" is a pretend one of fixed capacity whose used bytes are the
// store's real bytes on disk (blobs and layers), measured at each call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore } from '../../../src/image/store.js';
import { packLayer, writeImage, type Layer } from '../../../src/image/layer-pack.js';
import { ensureLayer, layerDir } from '../../../src/image/layer-unpack.js';
import { ImageGcManager, ImageGcError, nodeImages, validateImageGcPolicy, DEFAULT_IMAGE_GC_POLICY, type ImageGcPolicy } from '../../../src/kubelet/image-gc.js';

const KiB = 1024;

function tempStore(t: { after: (fn: () => void) => void }): LayoutStore {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-image-gc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new LayoutStore(join(dir, 'images'));
}

/** a layer of one file of random bytes (random: its size on disk is what was asked) */
function layerOf(store: LayoutStore, bytes: number): Layer {
  const dir = store.tempPath('src');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data'), randomBytes(bytes));
  const layer = packLayer(store, dir);
  rmSync(dir, { recursive: true });
  return layer;
}

function image(store: LayoutStore, layers: Layer[], names: string[]): string {
  return writeImage(store, layers, { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] } }, names);
}

function du(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, e) => n + du(join(path, e)), 0);
}

interface Harness {
  gc: ImageGcManager;
  inUse: string[];
  events: string[];
  /** the pretend filesystem's size; the test may shrink it to make the same store fuller */
  disk: { capacity: number };
}

/** capacity chosen per test; used = the store's bytes */
function harness(store: LayoutStore, capacity: number, policy: Partial<ImageGcPolicy> = {}): Harness {
  const inUse: string[] = [];
  const events: string[] = [];
  const disk = { capacity };
  const gc = new ImageGcManager({
    store,
    policy: { ...DEFAULT_IMAGE_GC_POLICY, minAgeMs: 0, ...policy },
    inUse: () => inUse,
    filesystem: () => ({ capacity: disk.capacity, available: disk.capacity - du(store.root) }),
    event: (type, reason, message) => events.push(`${type} ${reason} ${message}`),
    log: () => {},
  });
  return { gc, inUse, events, disk };
}

const names = (store: LayoutStore) => store.list().flatMap((i) => i.names).sort();

test('under the high threshold nothing goes; over it, unused images go least recently used first down to the low threshold', async (t) => {
  const store = tempStore(t);
  const a = layerOf(store, 200 * KiB);
  const b = layerOf(store, 200 * KiB);
  const c = layerOf(store, 200 * KiB);
  image(store, [a], ['old:1']);
  image(store, [b], ['recent:1']);
  image(store, [c], ['running:1']);
  const used = du(store.root); // ~600 KiB
  // usage ~60%: under 85
  const h = harness(store, Math.ceil(used / 0.6));
  h.inUse.push('old:1');
  await h.gc.garbageCollect(1000);
  h.inUse.length = 0;
  h.inUse.push('recent:1');
  await h.gc.garbageCollect(2000);
  h.inUse.length = 0;
  h.inUse.push('running:1');
  await h.gc.garbageCollect(3000);
  assert.deepEqual(names(store), ['docker.io/library/old:1', 'docker.io/library/recent:1', 'docker.io/library/running:1']);

  // the same store on a disk where it is ~95% full: freeing to 80% needs one image (~1/3 of it) gone
  h.disk.capacity = Math.ceil(used / 0.95);
  await h.gc.garbageCollect(4000);
  assert.deepEqual(names(store), ['docker.io/library/recent:1', 'docker.io/library/running:1'], 'the least recently used goes, the one in use stays');
  assert.equal(store.hasBlob(a.descriptor.digest), false, 'its layer blob went with it');
  assert.deepEqual(h.events, []);
});

test('images seen less than the minimum age ago stay; when too little can go, FreeDiskSpaceFailed says how much', async (t) => {
  const store = tempStore(t);
  image(store, [layerOf(store, 300 * KiB)], ['new:1']);
  const used = du(store.root);
  const h = harness(store, Math.ceil(used / 0.9), { minAgeMs: 120_000 });
  await assert.rejects(h.gc.garbageCollect(10_000), ImageGcError);
  assert.deepEqual(names(store), ['docker.io/library/new:1'], 'first seen now: too young to go');
  assert.equal(h.events.length, 1);
  assert.match(h.events[0]!, /^Warning FreeDiskSpaceFailed Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found 0 bytes eligible to free\.$/);
  // two minutes later it may go
  await h.gc.garbageCollect(10_000 + 120_000);
  assert.deepEqual(names(store), []);
});

test('a maximum age removes images unused that long whatever the disk; used ones are kept', async (t) => {
  const store = tempStore(t);
  image(store, [layerOf(store, 10 * KiB)], ['idle:1']);
  image(store, [layerOf(store, 10 * KiB)], ['busy:1']);
  const h = harness(store, 1e12, { maxAgeMs: 60_000 });
  h.inUse.push('busy:1');
  await h.gc.garbageCollect(0);
  await h.gc.garbageCollect(30_000);
  assert.equal(names(store).length, 2);
  await h.gc.garbageCollect(61_000);
  assert.deepEqual(names(store), ['docker.io/library/busy:1']);
});

test('deleteUnusedImages (the eviction manager\'s reclaim) frees every unused image and its unpacked layers, not a shared layer', async (t) => {
  const store = tempStore(t);
  const shared = layerOf(store, 50 * KiB);
  const own = layerOf(store, 100 * KiB);
  image(store, [shared, own], ['gone:1', 'gone:alias']);
  image(store, [shared], ['kept:1']);
  for (const l of [shared, own]) await ensureLayer(store, l.descriptor.digest, l.diffID);
  const h = harness(store, 1e12);
  h.inUse.push('kept:1');
  const before = du(store.root);
  const freed = await h.gc.deleteUnusedImages();
  assert.deepEqual(names(store), ['docker.io/library/kept:1'], 'both names of the unused image went');
  assert.equal(existsSync(layerDir(store, own.diffID)), false, 'its own unpacked layer is removed');
  assert.equal(existsSync(layerDir(store, shared.diffID)), true, 'the layer another image uses stays');
  assert.equal(store.hasBlob(shared.descriptor.digest), true);
  assert.equal(store.hasBlob(own.descriptor.digest), false);
  assert.ok(freed >= 100 * KiB, `freed ${freed} bytes`);
  assert.equal(before - du(store.root), freed, 'what it reports is what the disk gained');
});

test('blobs of a pull not yet tagged are left alone by a pass', async (t) => {
  const store = tempStore(t);
  image(store, [layerOf(store, 10 * KiB)], ['unused:1']);
  const pulling = store.putBlob(randomBytes(4 * KiB)); // a layer written, its manifest not yet
  const h = harness(store, 1e12);
  await h.gc.deleteUnusedImages();
  assert.deepEqual(names(store), []);
  assert.equal(store.hasBlob(pulling), true);
});

test('Node.status.images: largest first, digests then names, at most 5 names and 50 images', (t) => {
  const store = tempStore(t);
  const small = image(store, [layerOf(store, 1 * KiB)], ['small:1']);
  const big = image(store, [layerOf(store, 20 * KiB)], ['big:1', 'big:2', 'reg.example/big:1']);
  const out = nodeImages(store.list());
  assert.deepEqual(out[0]!.names, [`docker.io/library/big@${big}`, `reg.example/big@${big}`, 'docker.io/library/big:1', 'docker.io/library/big:2', 'reg.example/big:1']);
  assert.deepEqual(out[1]!.names, [`docker.io/library/small@${small}`, 'docker.io/library/small:1']);
  assert.ok(out[0]!.sizeBytes > out[1]!.sizeBytes);
  const many = Array.from({ length: 60 }, (_, i) => ({ ...store.list()[0]!, size: i, names: [`x${i}:1`] }));
  assert.equal(nodeImages(many).length, 50);
  assert.equal(nodeImages(many)[0]!.sizeBytes, 59);
});

test('policy validation as upstream\'s: whole percentages, low not above high, ages not negative', () => {
  assert.equal(validateImageGcPolicy(DEFAULT_IMAGE_GC_POLICY), undefined);
  assert.match(validateImageGcPolicy({ ...DEFAULT_IMAGE_GC_POLICY, highThresholdPercent: 101 })!, /--image-gc-high-threshold must be a whole percentage/);
  assert.match(validateImageGcPolicy({ ...DEFAULT_IMAGE_GC_POLICY, lowThresholdPercent: 90 })!, /--image-gc-low-threshold \(90\) must be less than --image-gc-high-threshold \(85\)/);
  assert.match(validateImageGcPolicy({ ...DEFAULT_IMAGE_GC_POLICY, maxAgeMs: 1000 })!, /maximum image GC age must not be less than/);
});
