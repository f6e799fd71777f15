// The builder's filesystem steps without a container: COPY's destination
// rules, ADD unpacking a local tar, WORKDIR making its directory, and the
// config the metadata steps write (ENTRYPOINT dropping the base Cmd, ARG, USER).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore } from '../../../src/image/store.js';
import { buildImage } from '../../../src/image/build/builder.js';
import { imageLowers } from '../../../src/image/layer-unpack.js';

test('COPY, ADD and WORKDIR layers from scratch, and the image config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LayoutStore(join(dir, 'images'));
  const ctx = join(dir, 'ctx');
  mkdirSync(join(ctx, 'conf', 'deep'), { recursive: true });
  writeFileSync(join(ctx, 'one.txt'), '1');
  writeFileSync(join(ctx, 'two.txt'), '2');
  writeFileSync(join(ctx, 'conf', 'deep', 'x.conf'), 'x');
  writeFileSync(join(ctx, 'conf', 'skip.tmp'), 'no');
  writeFileSync(join(ctx, '.dockerignore'), '**/*.tmp\n');
  mkdirSync(join(dir, 'tree', 'pkg'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'pkg', 'inside'), 'from tar');
  execFileSync('tar', ['-czf', join(ctx, 'bundle.tar.gz'), '-C', join(dir, 'tree'), 'pkg']);
  writeFileSync(join(ctx, 'Dockerfile'), [
    'FROM scratch',
    'ARG DEST=/opt',
    'WORKDIR /srv/app',
    'COPY *.txt ./',
    'COPY one.txt /single',
    'COPY --chown=7:8 conf $DEST/conf',
    'ADD bundle.tar.gz /unpacked/',
    'USER 7:8',
    'ENTRYPOINT ["/bin/app"]',
    'CMD ["--serve"]',
  ].join('\n'));
  const lines: string[] = [];
  const digest = await buildImage(store, { context: ctx, dockerfile: join(ctx, 'Dockerfile'), tags: ['t:1'], buildArgs: { DEST: '/etc' }, out: (l) => lines.push(l) });
  const img = store.image('t:1')!;
  assert.equal(img.digest, digest);
  assert.equal(img.manifest.layers.length, 5, 'WORKDIR, three COPYs and the ADD');
  assert.deepEqual(img.config.config.Entrypoint, ['/bin/app']);
  assert.deepEqual(img.config.config.Cmd, ['--serve']);
  assert.equal(img.config.config.User, '7:8');
  assert.equal(img.config.config.WorkingDir, '/srv/app');
  // merge the layers the way overlayfs would read them: topmost first
  const lowers = await imageLowers(store, img);
  const find = (p: string) => lowers.map((l) => join(l, p)).find((f) => existsSync(f));
  assert.equal(readFileSync(find('srv/app/one.txt')!, 'utf8'), '1');
  assert.equal(readFileSync(find('srv/app/two.txt')!, 'utf8'), '2');
  assert.equal(readFileSync(find('single')!, 'utf8'), '1', 'a single source to a name without a slash is that file');
  assert.equal(readFileSync(find('etc/conf/deep/x.conf')!, 'utf8'), 'x', '--build-arg overrides the ARG default; a directory copies its contents');
  assert.equal(statSync(find('etc/conf/deep/x.conf')!).uid, 7);
  assert.equal(find('etc/conf/skip.tmp'), undefined, '.dockerignore applies inside directories');
  assert.equal(readFileSync(find('unpacked/pkg/inside')!, 'utf8'), 'from tar', 'ADD unpacks a local tar');
  assert.equal(statSync(find('srv/app/one.txt')!).uid, 0, 'COPY makes files root-owned');
  // a second build is all cache
  const again: string[] = [];
  await buildImage(store, { context: ctx, dockerfile: join(ctx, 'Dockerfile'), tags: ['t:1'], buildArgs: { DEST: '/etc' }, out: (l) => again.push(l) });
  assert.equal(again.filter((l) => l.includes('Using cache')).length, 5);
  // a different build arg is a different COPY
  const other: string[] = [];
  await buildImage(store, { context: ctx, dockerfile: join(ctx, 'Dockerfile'), tags: ['t:2'], buildArgs: {}, out: (l) => other.push(l) });
  assert.equal(other.filter((l) => l.includes('Using cache')).length, 3);
});
