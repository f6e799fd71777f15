// Multi-stage builds without a container (scratch stages, COPY only; RUN
// stages are in test/e2e/image-build.test.ts): COPY --from by name and index
// through a real overlayfs view of the source stage, owners kept, --target,
// skipped stages, per-stage progress, and a cache keyed by what is copied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore } from '../../../src/image/store.js';
import { buildImage, BuildFailed } from '../../../src/image/build/builder.js';
import { DockerfileError } from '../../../src/image/build/dockerfile.js';
import { imageLowers } from '../../../src/image/layer-unpack.js';

test('COPY --from a scratch stage: only what is copied, owners kept, cache keyed by the copied content', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ms-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LayoutStore(join(dir, 'images'));
  const ctx = join(dir, 'ctx');
  mkdirSync(join(ctx, 'dir'), { recursive: true });
  writeFileSync(join(ctx, 'a.txt'), 'a1');
  writeFileSync(join(ctx, 'b.txt'), 'b1');
  writeFileSync(join(ctx, 'dir', 'x'), 'x');
  writeFileSync(join(ctx, 'Dockerfile'), [
    'ARG DEST=/copied',
    'FROM scratch AS gather',
    'COPY --chown=5:6 a.txt b.txt /stuff/',
    'COPY dir /stuff/dir',
    'FROM scratch AS unused',
    'COPY a.txt /u',
    'FROM scratch',
    'ARG DEST',
    'COPY --from=gather /stuff/a.txt $DEST/',
    'COPY --from=0 /stuff/dir /d',
  ].join('\n'));
  const build = async (extra: { target?: string; tags?: string[] } = {}) => {
    const lines: string[] = [];
    const digest = await buildImage(store, { context: ctx, dockerfile: join(ctx, 'Dockerfile'), tags: extra.tags ?? ['ms:1'], buildArgs: {}, target: extra.target, out: (l) => lines.push(l) });
    return { lines, digest, cached: lines.filter((l) => l.includes('Using cache')).length };
  };
  const files = async (ref: string) => {
    const lowers = await imageLowers(store, store.image(ref)!);
    const find = (p: string) => lowers.map((l) => join(l, p)).find((f) => existsSync(f));
    return { find, diffIDs: store.image(ref)!.config.rootfs.diff_ids };
  };

  const first = await build();
  assert.ok(first.lines.includes('[unused] skipped: not needed for the target stage stage-2'), first.lines.join('\n'));
  assert.ok(first.lines.includes('[gather 1/2] COPY --chown=5:6 a.txt b.txt /stuff/'));
  assert.ok(first.lines.includes('[stage-2 1/2] COPY --from=gather /stuff/a.txt $DEST/'));
  assert.ok(first.lines.includes('[stage-2 2/2] COPY --from=0 /stuff/dir /d'));
  assert.ok(first.lines.indexOf('[gather 2/2] COPY dir /stuff/dir') < first.lines.indexOf('[stage-2 1/2] COPY --from=gather /stuff/a.txt $DEST/'), 'the source stage is built first');
  assert.ok(!first.lines.some((l) => l.startsWith('[unused ')), 'the unused stage runs no step');
  const img = await files('ms:1');
  assert.equal(img.diffIDs.length, 2, 'the final image has its own two layers, none of gather\'s');
  assert.equal(readFileSync(img.find('copied/a.txt')!, 'utf8'), 'a1', 'a global ARG re-declared in the stage expands');
  assert.equal(statSync(img.find('copied/a.txt')!).uid, 5, 'COPY --from keeps the owner the file has in its stage');
  assert.equal(statSync(img.find('copied/a.txt')!).gid, 6);
  assert.equal(img.find('copied/b.txt'), undefined);
  assert.equal(img.find('stuff'), undefined, 'nothing of the source stage but what was copied');
  assert.equal(readFileSync(img.find('d/x')!, 'utf8'), 'x', 'COPY --from=0 is the first stage');

  assert.equal((await build()).cached, 4, 'a rerun is all cache');
  // b.txt changes gather's layer but not what the final stage copies
  writeFileSync(join(ctx, 'b.txt'), 'b2');
  const other = await build();
  assert.equal(other.cached, 2, 'gather is redone, both COPY --from steps are cached');
  assert.deepEqual((await files('ms:1')).diffIDs, img.diffIDs);
  writeFileSync(join(ctx, 'a.txt'), 'a2');
  const changed = await build();
  assert.equal(changed.cached, 0, 'a copied file changed: its COPY --from and every step after it are redone');
  assert.notDeepEqual((await files('ms:1')).diffIDs, img.diffIDs);
  assert.equal(readFileSync((await files('ms:1')).find('copied/a.txt')!, 'utf8'), 'a2');

  const target = await build({ target: 'gather', tags: ['ms:gather'] });
  assert.equal(target.cached, 2);
  assert.ok(target.lines.includes('[stage-2] skipped: not needed for the target stage gather'));
  const g = await files('ms:gather');
  assert.equal(g.diffIDs.length, 2);
  assert.equal(readFileSync(g.find('stuff/b.txt')!, 'utf8'), 'b2');
  await assert.rejects(build({ target: 'nope' }), (e: Error) => e instanceof BuildFailed && e.message === 'target stage "nope" could not be found (stages: gather, unused)');
});

test('COPY --from errors name the line: an unknown stage or image, a path the stage lacks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ms-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LayoutStore(join(dir, 'images'));
  const ctx = join(dir, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'a.txt'), 'a');
  const fails = async (lines: string[], target?: string) => {
    writeFileSync(join(ctx, 'Dockerfile'), lines.join('\n'));
    const out: string[] = [];
    const e = await buildImage(store, { context: ctx, dockerfile: join(ctx, 'Dockerfile'), tags: ['bad:1'], buildArgs: {}, target, out: (l) => out.push(l) }).then(() => undefined, (err: Error) => err);
    assert.ok(e instanceof DockerfileError, String(e));
    return { message: e.message, out };
  };
  const unknown = await fails(['FROM scratch AS one', 'COPY a.txt /a', 'FROM scratch', 'COPY --from=onee /a /a']);
  assert.match(unknown.message, /^Dockerfile line 4: COPY --from "onee": not in this node's image store and is no stage of this Dockerfile \(stages: one\)/);
  assert.deepEqual(unknown.out, [], 'refused before any step runs');
  const later = await fails(['FROM scratch', 'COPY a.txt /a', 'FROM stagex AS two', 'FROM scratch AS stagex'], 'two');
  assert.match(later.message, /^Dockerfile line 3: FROM "stagex": not in this node's image store and is no earlier stage of this Dockerfile/);
  const missing = await fails(['FROM scratch AS one', 'COPY a.txt /a', 'FROM scratch', 'COPY --from=one /nothere /x']);
  assert.equal(missing.message, 'Dockerfile line 4: COPY failed: no source files were specified or found for "/nothere" in stage one');
  assert.equal(store.image('bad:1'), undefined);
});
