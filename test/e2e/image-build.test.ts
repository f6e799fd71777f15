// Images end to end: `skiff image build` with layers, a build cache and
// .dockerignore, export and import of docker-save archives, and the built
// image running as a pod on a real node (skiff up in a test-made namespace).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k, kubectl, type ServerHandle } from './harness.js';
import { skiffImage, until } from './image-helpers.js';
import { removeCgroupParent, startNodeCluster, type NodeCluster } from './node-harness.js';
import { LayoutStore } from '../../src/image/store.js';
import { imageStoreDir } from '../../src/cli/image-command.js';

const NODE = 'img-node';

describe('images: build, cache, import/export, and a built image as a pod', () => {
  let c: NodeCluster;
  let s: ServerHandle;
  let work: string;
  let ctx: string;
  const buildParent = `/skiff-img-build-e2e-${process.pid}`;
  const status = (name: string) => JSON.parse(k(s, ['get', 'pod', name, '-o', 'json'])).status;
  const build = (...extra: string[]) => skiffImage(['build', '--data-dir', s.dataDir, '--cgroup-parent', buildParent, '-t', 'demo:1', ...extra, ctx]);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-img-'));
    ctx = join(work, 'ctx');
    mkdirSync(join(ctx, 'lib'), { recursive: true });
    writeFileSync(join(ctx, 'app.txt'), 'version one\n');
    writeFileSync(join(ctx, 'lib', 'data.txt'), 'data\n');
    writeFileSync(join(ctx, 'secret.key'), 'do not ship\n');
    writeFileSync(join(ctx, 'notes.log'), 'ignored\n');
    writeFileSync(join(ctx, '.dockerignore'), '*.key\n*.log\n');
    writeFileSync(join(ctx, 'Dockerfile'), [
      'FROM busybox',
      'ARG FLAVOR=plain',
      'ENV MODE=prod GREETING="hello there"',
      'WORKDIR /app',
      'COPY . .',
      '# a deleted lower file is a whiteout in this layer',
      'RUN rm /bin/vi && echo "built $FLAVOR" > /app/built.txt',
      'EXPOSE 8080',
      'LABEL org.example.team=skiff',
      'CMD ["sh", "-c", "cat built.txt app.txt; ls /app; test -e /bin/vi || echo vi-gone; echo \\"$GREETING in $MODE\\"; exec sleep 3600"]',
    ].join('\n'));
    c = await startNodeCluster('skiff-img', { nodeName: NODE });
    s = c.s;
  });

  after(async () => {
    await c?.stop();
    await removeCgroupParent(buildParent);
    rmSync(work, { recursive: true, force: true });
  });

  test('a build makes a layer per filesystem step and reuses them from the cache', () => {
    const first = build('--build-arg', 'FLAVOR=custom');
    assert.equal(first.code, 0, first.err + first.out);
    assert.match(first.out, /^\[1\/4\] FROM busybox$/m, 'BuildKit numbers the base and the filesystem steps');
    assert.match(first.out, /^\[4\/4\] RUN rm \/bin\/vi/m);
    assert.match(first.out, /Successfully tagged demo:1/);
    assert.doesNotMatch(first.out, /Using cache/);
    const again = build('--build-arg', 'FLAVOR=custom');
    assert.equal(again.code, 0, again.err);
    assert.equal(again.out.match(/---> Using cache/g)?.length, 3, 'WORKDIR, COPY and RUN come from the cache');
    // an ignored file changing does not touch the cache; a shipped one does, and so does the RUN after it
    writeFileSync(join(ctx, 'notes.log'), 'changed\n');
    assert.equal(build('--build-arg', 'FLAVOR=custom').out.match(/Using cache/g)?.length, 3);
    writeFileSync(join(ctx, 'app.txt'), 'version two\n');
    const changed = build('--build-arg', 'FLAVOR=custom');
    assert.equal(changed.out.match(/Using cache/g)?.length, 1, 'only WORKDIR is still cached');
    assert.equal(build('--no-cache', '--build-arg', 'FLAVOR=custom').out.match(/Using cache/g), null);

    const [img] = JSON.parse(skiffImage(['inspect', 'demo:1', '--data-dir', s.dataDir]).out);
    assert.equal(img.RootFS.Layers.length, 4, 'busybox + WORKDIR + COPY + RUN');
    assert.deepEqual(img.Config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(img.Config.WorkingDir, '/app');
    assert.equal(img.Config.Labels['org.example.team'], 'skiff');
    assert.ok(img.Config.Env.includes('GREETING=hello there'));
    const ls = skiffImage(['ls', '--data-dir', s.dataDir]).out;
    assert.match(ls, /^demo\s+1\s+[0-9a-f]{12}/m);
    assert.match(ls, /^busybox\s+latest/m);
  });

  test('a Dockerfile error names its line; a failing RUN fails the build', () => {
    const bad = join(work, 'Dockerfile.bad');
    writeFileSync(bad, 'FROM busybox\nRUN true\nCOPPY x y\n');
    const r = skiffImage(['build', '--data-dir', s.dataDir, '-t', 'bad:1', '-f', bad, ctx]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Dockerfile line 3: unknown instruction: COPPY/);
    writeFileSync(bad, 'FROM busybox\nRUN exit 3\n');
    const failing = skiffImage(['build', '--data-dir', s.dataDir, '--cgroup-parent', buildParent, '-t', 'bad:1', '-f', bad, ctx]);
    assert.equal(failing.code, 1);
    assert.match(failing.err, /returned a non-zero code: 3/);
    assert.doesNotMatch(skiffImage(['ls', '--data-dir', s.dataDir]).out, /^bad/m);
  });

  test('the built image runs as a pod: layers, whiteouts, config and imageID', async () => {
    k(s, ['run', 'demo', '--image=demo:1', '--image-pull-policy=Never', `--overrides=${JSON.stringify({ spec: { nodeName: NODE } })}`]);
    await until('demo running', () => status('demo').containerStatuses?.[0]?.state?.running, 60_000);
    const logs = await until('logs', () => {
      const l = kubectl(s, ['logs', 'demo']).stdout;
      return l.includes('in prod') && l;
    });
    assert.match(logs, /^built custom$/m);
    assert.match(logs, /^version two$/m);
    assert.match(logs, /^vi-gone$/m, 'the RUN layer\'s whiteout hides /bin/vi');
    assert.match(logs, /^hello there in prod$/m, 'image ENV reaches the container');
    assert.doesNotMatch(logs, /secret\.key|notes\.log/, '.dockerignore kept them out');
    assert.match(logs, /^lib$/m);
    const [img] = JSON.parse(skiffImage(['inspect', 'demo:1', '--data-dir', s.dataDir]).out);
    assert.equal(status('demo').containerStatuses[0].imageID, `docker.io/library/demo@${img.Id}`);
    // the working directory comes from the image
    assert.equal(k(s, ['exec', 'demo', '--', 'pwd']).trim(), '/app');
  });

  test('pull policies: Never without the image, Always without a registry', async () => {
    k(s, ['run', 'never', '--image=nothere:1', '--image-pull-policy=Never', `--overrides=${JSON.stringify({ spec: { nodeName: NODE } })}`]);
    const w = await until('ErrImageNeverPull', () => status('never').containerStatuses?.[0]?.state?.waiting);
    assert.equal(w.reason, 'ErrImageNeverPull');
    assert.equal(w.message, 'Container image "nothere:1" is not present with pull policy of Never');
    k(s, ['run', 'always', '--image=demo:1', '--image-pull-policy=Always', `--overrides=${JSON.stringify({ spec: { nodeName: NODE } })}`]);
    const a = await until('ErrImagePull', () => status('always').containerStatuses?.[0]?.state?.waiting);
    assert.match(a.reason, /^(ErrImagePull|ImagePullBackOff)$/);
    assert.match(a.message, /registry-1\.docker\.io/);
    // busybox always "pulls": the node itself serves it
    k(s, ['run', 'bb', '--image=busybox:1.36', '--image-pull-policy=Always', '--command', `--overrides=${JSON.stringify({ spec: { nodeName: NODE } })}`, '--', 'sleep', '3600']);
    await until('busybox running', () => status('bb').containerStatuses?.[0]?.state?.running);
    const events = k(s, ['get', 'events', '--field-selector', 'involvedObject.name=always', '-o', 'json']);
    assert.ok(JSON.parse(events).items.some((e: any) => e.reason === 'Failed' && /Failed to pull image "demo:1"/.test(e.message)));
  });

  test('export as a docker-save archive and import it into another node\'s store; a hand-made docker save loads too', () => {
    const archive = join(work, 'demo.tar');
    const exp = skiffImage(['export', 'demo:1', '-o', archive, '--data-dir', s.dataDir]);
    assert.equal(exp.code, 0, exp.err);
    const members = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' });
    assert.match(members, /^manifest\.json$/m);
    assert.match(members, /^index\.json$/m);
    const other = join(work, 'other-node');
    const imp = skiffImage(['import', archive, '--data-dir', other]);
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, /Loaded image: demo:1/);
    const otherStore = () => new LayoutStore(imageStoreDir(other));
    assert.equal(otherStore().resolve('demo:1'), new LayoutStore(imageStoreDir(s.dataDir)).resolve('demo:1'), 'the same manifest digest on both nodes');

    // the classic `docker save` layout: <id>/layer.tar, <id>.json config, manifest.json with RepoTags
    const save = join(work, 'save');
    mkdirSync(join(save, 'abc'), { recursive: true });
    mkdirSync(join(work, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(work, 'rootfs', 'etc', 'hello'), 'from docker save\n');
    execFileSync('tar', ['-cf', join(save, 'abc', 'layer.tar'), '-C', join(work, 'rootfs'), '.']);
    const diffID = `sha256:${execFileSync('sha256sum', [join(save, 'abc', 'layer.tar')], { encoding: 'utf8' }).split(' ')[0]}`;
    writeFileSync(join(save, 'cfg.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: [diffID] } }));
    writeFileSync(join(save, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['saved/app:7'], Layers: ['abc/layer.tar'] }]));
    execFileSync('tar', ['-czf', join(work, 'saved.tar.gz'), '-C', save, '.']);
    const r = skiffImage(['import', join(work, 'saved.tar.gz'), '--data-dir', other]);
    assert.equal(r.code, 0, r.err);
    const saved = otherStore().image('saved/app:7');
    assert.equal(saved?.config.rootfs.diff_ids[0], diffID);
    assert.equal(skiffImage(['import', join(work, 'nothing.tar'), '--data-dir', other]).code, 1);
    // rm drops the name and blobs nothing else needs
    const rm = skiffImage(['rm', 'saved/app:7', '--data-dir', other]);
    assert.match(rm.out, /Untagged: saved\/app:7/);
    assert.equal(otherStore().resolve('saved/app:7'), undefined);
    assert.deepEqual(otherStore().list().map((i) => i.names), [['docker.io/library/demo:1']]);
  });
});
