// Images through a real registry (Debian's docker-registry, Distribution 2.8):
// `skiff image push` and `pull` round trips keep the digest, htpasswd Basic
// auth refuses a pull without credentials and takes one with them (flags or
// a docker config.json), and a node pulls a pod's image that only the registry
// has, with an imagePullSecret, while a missing image backs off. The registries
// run on 127.0.0.1 inside the node's own network namespace, as does the CLI.
// A third registry uses token authentication (Bearer, Docker's token spec) with
// a small token service of the test's own (registry-token-server.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';
import { until } from './image-helpers.js';
import { LayoutStore } from '../../src/image/store.js';
import { importBusybox } from '../../src/image/builtin-busybox.js';
import { packLayer, writeImage } from '../../src/image/layer-pack.js';

const CLI = join(import.meta.dirname, 'image-cli.ts');
const OPEN = '127.0.0.1:5000';
const AUTH = '127.0.0.1:5001';
const TOKEN = '127.0.0.1:5002';
const TOKEN_SERVICE = '127.0.0.1:5003';

describe('registry pull and push', () => {
  let c: NodeCluster;
  let work: string;
  const registries: ChildProcess[] = [];
  let hello = '';

  /** `skiff image ARGS` inside the node's network namespace, where the registries listen */
  const image = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${c.netns}`, process.execPath, '--import', 'tsx', CLI, ...args, '--data-dir', join(work, 'ws')], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config'), ...env } });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const status = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json'])).status;
  const events = (name: string) => JSON.parse(k(c.s, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as { reason: string; message: string; type: string }[];

  function startRegistry(addr: string, auth?: string | string[]): void {
    const dir = join(work, `registry-${addr.split(':')[1]}`);
    mkdirSync(dir);
    const config = [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}}`,
      `http: {addr: "${addr}", secret: e2e-only}`,
      ...(typeof auth === 'string' ? [`auth: {htpasswd: {realm: skiff-e2e, path: ${auth}}}`] : (auth ?? [])),
    ].join('\n');
    writeFileSync(join(dir, 'config.yml'), config);
    // never the packaged systemd service: our own process, in the node's namespace, stopped by PID
    const p = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, 'docker-registry', 'serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', () => undefined);
    registries.push(p);
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-e2e-registry-'));
    c = await startNodeCluster('reg');
    const htpasswd = join(work, 'htpasswd');
    writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', 'alice', 's3cret'], { encoding: 'utf8' }));
    startRegistry(OPEN);
    startRegistry(AUTH, htpasswd);
    // token auth: the registry trusts tokens signed with this certificate's key
    const tokenKey = join(work, 'token.key');
    const tokenCert = join(work, 'token.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=skiff-e2e-token', '-keyout', tokenKey, '-out', tokenCert], { stdio: 'ignore' });
    startRegistry(TOKEN, [`auth: {token: {realm: "http://${TOKEN_SERVICE}/token", service: skiff-e2e-registry, issuer: skiff-e2e-issuer, rootcertbundle: ${tokenCert}}}`]);
    const ts = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'registry-token-server.ts'), TOKEN_SERVICE, tokenKey, tokenCert, 'skiff-e2e-issuer', 'bob:b0bpass'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tsOut = '';
    ts.stdout!.on('data', (d) => (tsOut += d));
    ts.stderr!.on('data', (d) => (tsOut += d));
    registries.push(ts);
    await until('token server', () => tsOut.includes('token server ready'), 60_000);
    for (const addr of [OPEN, AUTH, TOKEN]) {
      await until(`registry ${addr}`, () => {
        const code = spawnSync('nsenter', [`--net=/var/run/netns/${c.netns}`, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${addr}/v2/`], { encoding: 'utf8' }).stdout;
        return code === '200' || code === '401';
      });
    }
    // a workstation store with busybox and an image of our own on top of it (a file only it has)
    const ws = new LayoutStore(join(work, 'ws', 'agent', 'images'));
    importBusybox(ws, ['busybox:latest']);
    const bb = ws.image('busybox:latest')!;
    const files = join(work, 'hello-layer');
    mkdirSync(files);
    writeFileSync(join(files, 'hello.txt'), 'hello from the registry\n');
    const top = packLayer(ws, files);
    const base = bb.manifest.layers.map((d, i) => ({ descriptor: d, diffID: bb.config.rootfs.diff_ids[i] }));
    hello = writeImage(ws, [...base, top], { architecture: 'amd64', os: 'linux', config: { ...bb.config.config, Cmd: ['cat', '/hello.txt'] } }, ['hello:v1']);
  });

  after(async () => {
    for (const p of registries) if (p.pid) process.kill(p.pid, 'SIGTERM');
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('push, remove locally, pull back: the same digest, chunked and monolithic alike', () => {
    assert.equal(image(['tag', 'busybox', `${OPEN}/e2e/busybox:v1`]).code, 0);
    // chunks well under the 2 MB layer: several PATCHes, then the closing PUT ?digest=
    const push = image(['push', `${OPEN}/e2e/busybox:v1`, '--chunk-size', '500000']);
    assert.equal(push.code, 0, push.err);
    const pushed = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(push.out)?.[1];
    const [local] = JSON.parse(image(['inspect', 'busybox']).out);
    assert.equal(pushed, local.Id);
    assert.match(push.out, /: Pushed \(/);
    // a second push finds every blob there already
    assert.match(image(['push', `${OPEN}/e2e/busybox:v1`]).out, /Layer already exists/);
    assert.equal(image(['rm', `${OPEN}/e2e/busybox:v1`, 'busybox']).code, 0);
    const pull = image(['pull', `${OPEN}/e2e/busybox:v1`]);
    assert.equal(pull.code, 0, pull.err);
    // hello:v1 still holds busybox's layer, so only the config comes down here
    assert.match(pull.out, /Already exists/);
    assert.match(pull.out, new RegExp(`Digest: ${pushed}`));
    const [back] = JSON.parse(image(['inspect', `${OPEN}/e2e/busybox:v1`]).out);
    assert.equal(back.Id, pushed);
    // an unknown tag is the registry's own words
    const missing = image(['pull', `${OPEN}/e2e/busybox:nope`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /manifest unknown/);
  });

  test('Basic auth: refused without credentials, taken from flags and from a docker config.json', () => {
    assert.equal(image(['tag', 'hello:v1', `${AUTH}/e2e/hello:v1`]).code, 0);
    const anon = image(['push', `${AUTH}/e2e/hello:v1`]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.err, /unauthorized: authentication required/);
    const wrong = image(['push', `${AUTH}/e2e/hello:v1`, '--username', 'alice', '--password', 'nope']);
    assert.match(wrong.err, /unauthorized/);
    const push = image(['push', `${AUTH}/e2e/hello:v1`, '--username', 'alice', '--password', 's3cret']);
    assert.equal(push.code, 0, push.err);
    assert.match(push.out, new RegExp(`digest: ${hello}`));
    assert.equal(image(['rm', `${AUTH}/e2e/hello:v1`, 'hello:v1']).code, 0);
    const refused = image(['pull', `${AUTH}/e2e/hello:v1`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /unauthorized: authentication required/);
    const dockerConfig = join(work, 'docker');
    mkdirSync(dockerConfig);
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [`http://${AUTH}`]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const pull = image(['pull', `${AUTH}/e2e/hello:v1`], { DOCKER_CONFIG: dockerConfig });
    assert.equal(pull.code, 0, pull.err);
    assert.match(pull.out, new RegExp(`Digest: ${hello}`));
    // hello's own layer was removed with it: this time it came over the wire
    assert.match(pull.out, /Pull complete/);
  });

  test('Bearer token auth: the token service is asked with the scope, refused without credentials, granted with them', () => {
    assert.equal(image(['tag', `${AUTH}/e2e/hello:v1`, `${TOKEN}/e2e/hello:v2`]).code, 0);
    const anon = image(['push', `${TOKEN}/e2e/hello:v2`]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.err, /unauthorized|denied/);
    const wrong = image(['push', `${TOKEN}/e2e/hello:v2`, '--username', 'bob', '--password', 'nope']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.err, /token from http:\/\/127\.0\.0\.1:5003\/token: unauthorized: incorrect username or password/);
    const push = image(['push', `${TOKEN}/e2e/hello:v2`, '--username', 'bob', '--password', 'b0bpass']);
    assert.equal(push.code, 0, push.err);
    assert.match(push.out, new RegExp(`digest: ${hello}`));
    assert.equal(image(['rm', `${TOKEN}/e2e/hello:v2`]).code, 0);
    assert.notEqual(image(['pull', `${TOKEN}/e2e/hello:v2`]).code, 0, 'an anonymous token grants nothing');
    const pull = image(['pull', `${TOKEN}/e2e/hello:v2`, '--username', 'bob', '--password', 'b0bpass']);
    assert.equal(pull.code, 0, pull.err);
    assert.match(pull.out, new RegExp(`Digest: ${hello}`));
  });

  test('a pod whose image only the registry has starts with an imagePullSecret; without one, or for a missing image, it backs off', async () => {
    assert.ok(!readFileSync(join(c.s.dataDir, 'agent', 'images', 'index.json'), 'utf8').includes('e2e/hello'), 'the node must not have the image yet');
    k(c.s, ['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${AUTH}`, '--docker-username=alice', '--docker-password=s3cret']);
    const pod = (name: string, img: string, secrets: string[], imagePullPolicy = 'IfNotPresent') => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, restartPolicy: 'Never', imagePullSecrets: secrets.map((n) => ({ name: n })), containers: [{ name: 'c', image: img, imagePullPolicy }] } });
    // Always goes to the registry even once the node has the image (as it will, from the pod below)
    k(c.s, ['apply', '-f', '-'], pod('nocred', `${AUTH}/e2e/hello:v1`, [], 'Always'));
    k(c.s, ['apply', '-f', '-'], pod('missing', `${OPEN}/e2e/nothere:v1`, []));
    k(c.s, ['apply', '-f', '-'], pod('hello', `${AUTH}/e2e/hello:v1`, ['regcred']));
    const done = await until('hello ran', () => status('hello').containerStatuses?.[0]?.state?.terminated, 60_000);
    assert.equal(done.exitCode, 0);
    assert.equal(k(c.s, ['logs', 'hello']), 'hello from the registry\n');
    assert.equal(status('hello').containerStatuses[0].imageID, `${AUTH}/e2e/hello@${hello}`);
    const ev = events('hello');
    assert.ok(ev.some((e) => e.reason === 'Pulling' && e.message === `Pulling image "${AUTH}/e2e/hello:v1"`), JSON.stringify(ev));
    const pulled = ev.find((e) => e.reason === 'Pulled');
    assert.match(pulled?.message ?? '', new RegExp(`^Successfully pulled image "${AUTH}/e2e/hello:v1" in [0-9.]+m?s \\([0-9.]+m?s including waiting\\)\\. Image size: \\d+ bytes\\.$`));
    // without credentials the registry's refusal reaches the pod, then the back-off
    const w = await until('nocred backs off', () => {
      const x = status('nocred').containerStatuses?.[0]?.state?.waiting;
      return x?.reason === 'ImagePullBackOff' ? x : undefined;
    });
    assert.match(w.message, /unauthorized: authentication required/);
    assert.ok(events('nocred').some((e) => e.reason === 'Failed' && /Failed to pull image .*unauthorized/.test(e.message)));
    const m = await until('missing backs off', () => {
      const x = status('missing').containerStatuses?.[0]?.state?.waiting;
      return x?.reason === 'ImagePullBackOff' ? x : undefined;
    });
    assert.match(m.message, /^Back-off pulling image "127\.0\.0\.1:5000\/e2e\/nothere:v1": .*manifest unknown/);
    assert.ok(events('missing').some((e) => e.reason === 'BackOff' && e.type === 'Normal'));
  });
});
