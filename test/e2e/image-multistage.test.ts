// Multi-stage `skiff image build` end to end: stage one runs busybox sh in a
// real runc container to make a file, the final stage (scratch) copies only
// that file; a stage the target does not need is never built; --target stops
// at the first stage; reruns come from the cache, and the COPY --from step is
// keyed by the copied file's content, not by the rest of its stage.
// No node is needed: builds act on a data directory's image store, as the CLI
// does, with the built-in busybox as the base.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanNode, skiffImage } from './image-helpers.js';
import { LayoutStore } from '../../src/image/store.js';
import { imageLowers } from '../../src/image/layer-unpack.js';
import { imageStoreDir } from '../../src/cli/image-command.js';

describe('images: multi-stage builds', () => {
  let work: string;
  let dataDir: string;
  let ctx: string;
  const buildParent = `/skiff-ms-e2e-${process.pid}-build`;
  const build = (...extra: string[]) => skiffImage(['build', '--data-dir', dataDir, '--cgroup-parent', buildParent, ...extra, ctx]);
  const store = () => new LayoutStore(imageStoreDir(dataDir));
  const cached = (out: string) => out.match(/---> Using cache/g)?.length ?? 0;
  /** every path in an image's layers */
  const paths = async (ref: string) => {
    const out = new Set<string>();
    for (const l of await imageLowers(store(), store().image(ref)!)) for (const p of readdirSync(l, { recursive: true }) as string[]) out.add(p);
    return [...out].sort();
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'skiff-ms-e2e-'));
    dataDir = join(work, 'data');
    ctx = join(work, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), [
      'ARG BASE=busybox',
      // BuildKit's cross-build idiom: the build stage on the builder's platform, told the target's arch
      'FROM --platform=$BUILDPLATFORM ${BASE} AS build',
      'ARG NOTE=first',
      'ARG TARGETARCH',
      'WORKDIR /src',
      `RUN printf "#!/bin/sh\\necho compiled for $TARGETARCH\\n" > app && chmod 755 app && echo "$NOTE" > notes.txt`,
      'FROM busybox AS unused',
      'RUN exit 9',
      'FROM scratch',
      'COPY --from=build /src/app /app',
      'CMD ["/app"]',
    ].join('\n'));
  });

  after(async () => {
    if (dataDir) await cleanNode(dataDir, buildParent);
    rmSync(work, { recursive: true, force: true });
  });

  test('the final image holds only the file stage one made; the unused stage is skipped', async () => {
    const first = build('-t', 'ms:1');
    assert.equal(first.code, 0, first.err + first.out);
    assert.match(first.out, /^\[unused\] skipped: not needed for the target stage stage-2$/m, 'the stage whose RUN would fail is never built');
    assert.match(first.out, /^\[build 1\/3\] FROM busybox$/m, 'a global ARG names the base');
    assert.match(first.out, /^\[build 3\/3\] RUN printf/m);
    assert.match(first.out, /^\[stage-2 1\/1\] COPY --from=build \/src\/app \/app$/m);
    assert.ok(first.out.indexOf('[build 3/3]') < first.out.indexOf('[stage-2 1/1]'), 'stage one is built first');
    assert.deepEqual(await paths('ms:1'), ['app'], 'only the copied file: no busybox, no /src/notes.txt');
    const [top] = await imageLowers(store(), store().image('ms:1')!);
    assert.equal(readFileSync(join(top, 'app'), 'utf8'), `#!/bin/sh\necho compiled for ${process.arch === 'x64' ? 'amd64' : process.arch}\n`);
    const [img] = JSON.parse(skiffImage(['inspect', 'ms:1', '--data-dir', dataDir]).out);
    assert.deepEqual(img.Config.Cmd, ['/app']);
    assert.equal(img.RootFS.Layers.length, 1);
  });

  test('a rerun is cached; a change stage one makes to a file not copied keeps COPY --from cached', () => {
    const layers = store().image('ms:1')!.config.rootfs.diff_ids;
    const again = build('-t', 'ms:1');
    assert.equal(again.code, 0, again.err);
    assert.equal(cached(again.out), 3, 'WORKDIR, RUN and COPY --from');
    const note = build('-t', 'ms:1', '--build-arg', 'NOTE=second');
    assert.equal(note.code, 0, note.err);
    assert.equal(cached(note.out), 2, 'the RUN is redone for the new NOTE; WORKDIR and COPY --from are cached');
    assert.deepEqual(store().image('ms:1')!.config.rootfs.diff_ids, layers);
  });

  test('--target builds the first stage as the image; an unknown target is refused', async () => {
    const target = build('-t', 'ms:build', '--target', 'build', '--build-arg', 'NOTE=second');
    assert.equal(target.code, 0, target.err);
    assert.match(target.out, /^\[stage-2\] skipped: not needed for the target stage build$/m);
    assert.doesNotMatch(target.out, /COPY --from/);
    assert.equal(cached(target.out), 2, 'WORKDIR and RUN from the previous build');
    const built = await paths('ms:build');
    for (const p of ['src/app', 'src/notes.txt', 'bin/busybox']) assert.ok(built.includes(p), p);
    const unknown = build('-t', 'ms:x', '--target', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /target stage "nope" could not be found \(stages: build, unused\)/);
    assert.equal(store().image('ms:x'), undefined);
  });
});
