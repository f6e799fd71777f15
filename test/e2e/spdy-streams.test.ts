// exec, attach and port-forward over plain SPDY/3.1, as clients without
// WebSockets reach them (client-go before 1.30): the real kubectl with its
// WebSocket transports switched off by KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false
// and KUBECTL_PORT_FORWARD_WEBSOCKETS=false, so it can only send
// `Upgrade: SPDY/3.1` (there is no fallback that way round), through the API
// server to a real node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { freePort, k, kubectl, until } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';

const SPDY_ONLY = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };


describe('SPDY/3.1 streams: exec, attach and port-forward without WebSockets', () => {
  let c: NodeCluster;
  const spdy = (args: string[], input?: string) => kubectl(c.s, args, input, SPDY_ONLY);
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const pod = (name: string, spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.nodeName, terminationGracePeriodSeconds: 1, ...spec } });
  const phase = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json'])).status?.phase as string | undefined;
  const running = (name: string) => until(`${name} running`, () => phase(name) === 'Running');

  before(async () => {
    c = await startNodeCluster('skiff-spdy');
    apply(pod('shell', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 100000'] }] }));
    apply(pod('web', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && head -c 500000 /dev/zero | tr "\\0" y > /www/big && exec httpd -f -p 8080 -h /www'] }] }));
    await running('shell');
    await running('web');
  });

  after(async () => {
    await c?.stop();
  });

  test('exec: stdout and stderr apart, and the exit code from the v4 Status', () => {
    const r = spdy(['exec', 'shell', '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    assert.equal(r.stdout, 'to-out\n');
    assert.match(r.stderr, /to-err/);
    assert.equal(r.code, 3, r.stderr);
    // kubectl's own log of the exchange: a plain upgrade to SPDY/3.1 and the v4 protocol chosen from its list
    const ok = spdy(['-v=8', 'exec', 'shell', '--', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /X-Stream-Protocol-Version: v5\.channel\.k8s\.io/);
    assert.match(ok.stderr, /Response Status: 101 Switching Protocols/);
    assert.match(ok.stderr, /Upgrade: SPDY\/3\.1/);
    assert.match(ok.stderr, /Response Headers:[\s\S]*X-Stream-Protocol-Version: v4\.channel\.k8s\.io/);
  });

  test('exec -i: piped stdin reaches the command and its end is the end of input', () => {
    const text = randomBytes(150_000).toString('base64');
    const r = spdy(['exec', '-i', 'shell', '--', 'md5sum'], text);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split(' ')[0], createHash('md5').update(text).digest('hex'), 'every byte of 200 kB of stdin arrived, and then EOF');
  });

  test('exec: 300 kB of output arrives whole', () => {
    const r = spdy(['exec', 'shell', '--', 'sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; echo; echo done >&2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 300_001);
    assert.ok(/^x+\n$/.test(r.stdout));
    assert.match(r.stderr, /done/);
  });

  test('exec -it: a terminal of the client size through the resize stream', () => {
    const cmd = `stty rows 27 cols 83; exec nsenter --net=/var/run/netns/${c.netns} kubectl exec -it shell -- sh`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { input: 'stty size; tty; exit 4\n', env: { ...process.env, KUBECONFIG: c.s.kubeconfig, ...SPDY_ONLY }, encoding: 'utf8', timeout: 30_000 });
    assert.match(r.stdout, /27 83/, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.equal(r.status, 4, r.stdout);
  });

  test('exec into a container that is not there is refused with its reason', () => {
    const r = spdy(['exec', 'shell', '-c', 'nope', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container nope is not valid for pod shell/);
  });

  test('attach streams the main process output; attach -i feeds its stdin', async () => {
    apply(pod('talker', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 4; for i in 1 2 3; do echo line-$i; echo err-$i >&2; sleep 0.2; done'] }] }));
    apply(pod('reader', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'while read l; do echo got:$l; done; echo stdin-closed'] }] }));
    await running('talker');
    const r = spdy(['attach', 'talker']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /line-1\nline-2\nline-3\n/);
    assert.match(r.stderr, /err-3/);
    await running('reader');
    const i = spdy(['attach', '-i', 'reader'], 'hello\nspdy\n');
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /got:hello\ngot:spdy\nstdin-closed/);
  });

  test('port-forward: HTTP through the forwarded port, a 500 kB body, and a refused port on the error stream', async () => {
    const local = await freePort();
    const pf = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, 'kubectl', '-v=8', 'port-forward', 'pod/web', `${local}:8080`, `${local + 1}:9999`], { env: { ...process.env, KUBECONFIG: c.s.kubeconfig, ...SPDY_ONLY }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    pf.stdout.on('data', (d) => (out += d));
    pf.stderr.on('data', (d) => (err += d));
    const curl = (path: string, port = local) => spawnSync('nsenter', [`--net=/var/run/netns/${c.netns}`, 'curl', '-sS', '--max-time', '10', `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
    try {
      await until('port-forward to listen', () => out.includes(`Forwarding from 127.0.0.1:${local} -> 8080`), 20_000);
      assert.equal(curl('/').stdout, 'hello-from-pod\n');
      const big = curl('/big');
      assert.equal(big.stdout.length, 500_000, big.stderr);
      assert.ok(/^y+$/.test(big.stdout));
      assert.equal(curl('/').stdout, 'hello-from-pod\n', 'a second connection over the same SPDY session');
      curl('/', local + 1);
      await until('the forwarding error', () => /error forwarding port 9999/.test(err), 10_000);
      assert.match(err, /Upgrade: SPDY\/3\.1/, 'a plain SPDY upgrade, not SPDY in a WebSocket');
      assert.match(err, /Response Headers:[\s\S]*X-Stream-Protocol-Version: portforward\.k8s\.io/);
    } finally {
      pf.kill();
    }
  });
});
