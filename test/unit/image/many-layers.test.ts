// An image of many layers still mounts: past a page of mount options the
// lowers are named relative to their common directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMounted, mountOverlay } from '../../../src/runtime/oci/mounts.js';

test('55 layers with long paths mount, the topmost layer winning', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'skiff-layers-'));
  const layers = join(base, 'a'.repeat(60), 'agent', 'images', 'layers');
  const target = join(base, 'merged');
  t.after(() => {
    if (isMounted(target)) execFileSync('umount', [target]);
    rmSync(base, { recursive: true, force: true });
  });
  const lowers: string[] = [];
  for (let i = 0; i < 55; i++) {
    const dir = join(layers, createHash('sha256').update(String(i)).digest('hex'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}`), '');
    writeFileSync(join(dir, 'who'), String(i));
    lowers.unshift(dir);
  }
  assert.ok(lowers.join(':').length > 4096, 'more than a page of lowerdir');
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(base, d));
  await mountOverlay(lowers, join(base, 'upper'), join(base, 'work'), target);
  assert.equal(readdirSync(target).length, 56);
  assert.equal(readFileSync(join(target, 'who'), 'utf8'), '54');
});
