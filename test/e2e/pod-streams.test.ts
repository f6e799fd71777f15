// Streams into pods on a real node, driven by the real kubectl: exec -it on a
// real terminal, attach (with and without stdin and a tty), port-forward to a
// server in a pod, cp both ways, and the postStart/preStop lifecycle hooks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, k, kubectl, until } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';


describe('pod streams: exec -it, attach, port-forward, cp, lifecycle hooks', () => {
  let c: NodeCluster;
  let work: string;
  const env = () => ({ ...process.env, KUBECONFIG: c.s.kubeconfig, HOME: process.env.HOME ?? '/root' });
  const inNetns = (cmd: string) => ['nsenter', `--net=/var/run/netns/${c.netns}`, ...cmd.split(' ')];
  /** kubectl on a real terminal: script(1) gives it a pty of the given size and feeds it our input */
  const onTerminal = (kubectlArgs: string, input: string, size = { rows: 33, cols: 91 }) => {
    const cmd = `stty rows ${size.rows} cols ${size.cols}; exec nsenter --net=/var/run/netns/${c.netns} kubectl ${kubectlArgs}`;
    return spawnSync('script', ['-qfec', cmd, '/dev/null'], { input, env: env(), encoding: 'utf8', timeout: 30_000 });
  };
  const apply = (obj: object) => k(c.s, ['apply', '-f', '-'], JSON.stringify(obj));
  const pod = (name: string, spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.nodeName, terminationGracePeriodSeconds: 5, ...spec } });
  const phase = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json'])).status?.phase as string | undefined;
  const running = (name: string) => until(`${name} running`, () => phase(name) === 'Running');
  const events = (reason: string) => JSON.parse(k(c.s, ['get', 'events', '--field-selector', `reason=${reason}`, '-o', 'json'])).items as Array<{ message: string; involvedObject: { name: string } }>;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-streams-'));
    c = await startNodeCluster('skiff-streams');
    apply(pod('shell', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 100000'] }] }));
    await running('shell');
  });

  after(async () => {
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('exec -it gets a real terminal of the client size, takes typed input and resizes, and returns the exit code', () => {
    const r = onTerminal('exec -it shell -- sh', 'tty; stty size; echo typed-$((6*7)); stty size; exit 3\n');
    const out = r.stdout;
    assert.match(out, /\/dev\/pts\/\d+/, out);
    assert.match(out, /33 91/, `the container sees the client's terminal size:\n${out}`);
    assert.match(out, /typed-42/, out);
    assert.equal(r.status, 3, `exit code of the command comes back:\n${out}\n${r.stderr}`);
    // without -t there is no terminal
    const plain = kubectl(c.s, ['exec', 'shell', '--', 'sh', '-c', 'tty || true']);
    assert.match(plain.stdout, /not a tty/);
  });

  test('exec -it: a command run at once already sees the client\'s terminal size (no 0 0 before the relay resizes)', () => {
    for (let i = 0; i < 5; i++) {
      const r = onTerminal('exec -it shell -- stty size', '', { rows: 41 + i, cols: 97 });
      // script(1) may echo a control character or two ahead of the output: the size is the output's only numbers
      assert.deepEqual(r.stdout.match(/\d+/g), [String(41 + i), '97'], `run ${i}: ${r.stdout} ${r.stderr}`);
    }
  });

  test('exec -it picks up a terminal resize (channel 4) while running', async () => {
    const cmd = `stty rows 20 cols 70; exec nsenter --net=/var/run/netns/${c.netns} kubectl exec -it shell -- sh -c 'stty size; sleep 2; stty size'`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await until('first size', () => /20 70/.test(out), 15_000);
    // resize kubectl's terminal from outside (script exec'd into kubectl): the kernel sends it SIGWINCH
    const pid = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    const tty = spawnSync('readlink', [`/proc/${pid}/fd/0`], { encoding: 'utf8' }).stdout.trim();
    assert.match(tty, /^\/dev\/pts\/\d+$/);
    spawnSync('stty', ['-F', tty, 'rows', '40', 'cols', '100']);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /40 100/, `the resize reached the container's terminal:\n${out}`);
  });

  test('cp copies a file into a pod and back out', () => {
    const src = join(work, 'in.bin');
    const data = randomBytes(300_000);
    writeFileSync(src, data);
    k(c.s, ['cp', src, 'shell:/tmp/in.bin']);
    assert.equal(k(c.s, ['exec', 'shell', '--', 'sh', '-c', 'wc -c < /tmp/in.bin']).trim(), '300000');
    const back = join(work, 'out.bin');
    k(c.s, ['cp', 'shell:/tmp/in.bin', back]);
    assert.ok(readFileSync(back).equals(data), 'the copy out is byte for byte the file copied in');
    // kubectl itself may exit 0 here (its untar can finish before the exec's error lands), as with any cluster
    kubectl(c.s, ['cp', 'shell:/tmp/nope', join(work, 'nope')]);
    assert.ok(!existsSync(join(work, 'nope')));
  });

  test('attach without stdin streams the main process output until it exits', async () => {
    apply(pod('talker', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 5; for i in 1 2 3; do echo line-$i; echo err-$i >&2; sleep 0.3; done'] }] }));
    await running('talker');
    const r = kubectl(c.s, ['attach', 'talker']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /line-1\nline-2\nline-3\n/);
    assert.match(r.stderr, /err-3/);
  });

  test('attach -i feeds the container stdin; stdinOnce closes it when the client leaves', async () => {
    apply(pod('reader', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'while read l; do echo got:$l; done; echo stdin-closed'] }] }));
    await running('reader');
    const r = kubectl(c.s, ['attach', '-i', 'reader'], 'hello\nworld\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /got:hello\ngot:world\nstdin-closed/);
    await until('reader to finish', () => phase('reader') === 'Succeeded');
  });

  test('attach -it reaches a tty container: typed input, the client size, and exit', async () => {
    apply(pod('term', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', stdin: true, tty: true, command: ['sh'] }] }));
    await running('term');
    // kubectl sends size+1 then the size; the shell waits (10 s at most) for the last to land rather than a fixed sleep
    const r = onTerminal('attach -it term',
      'echo attached-$((7*6)); tty; for i in $(seq 100); do [ "$(stty size)" = "30 99" ] && break; sleep 0.1; done; echo size=$(stty size)\nexit\n', { rows: 30, cols: 99 });
    assert.match(r.stdout, /attached-42/, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /size=30 99/, `the client's size (sent after size+1) reaches the container's terminal:\n${r.stdout}`);
    await until('term to finish', () => phase('term') === 'Succeeded');
  });

  test('port-forward reaches a server in the pod (WebSocket-tunnelled SPDY), large bodies included', async () => {
    apply(pod('web', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && head -c 500000 /dev/zero | tr "\\0" x > /www/big && exec httpd -f -p 8080 -h /www'] }] }));
    await running('web');
    const local = await freePort();
    const pf = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, 'kubectl', 'port-forward', 'pod/web', `${local}:8080`, `${local + 1}:9999`], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    pf.stdout.on('data', (d) => (out += d));
    pf.stderr.on('data', (d) => (err += d));
    try {
      await until('port-forward to listen', () => out.includes(`Forwarding from 127.0.0.1:${local} -> 8080`), 20_000);
      const curl = (path: string, port = local) => spawnSync(inNetns('curl')[0], [...inNetns('curl').slice(1), '-sS', '--max-time', '10', `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
      assert.equal(curl('/').stdout, 'hello-from-pod\n');
      const big = curl('/big');
      assert.equal(big.stdout.length, 500_000, big.stderr);
      assert.ok(/^x+$/.test(big.stdout));
      // several connections over one tunnel, one after another and at once
      assert.equal(curl('/').stdout, 'hello-from-pod\n');
      const many = await Promise.all([1, 2, 3].map(() => new Promise<string>((resolve) => {
        const p = spawn(inNetns('curl')[0], [...inNetns('curl').slice(1), '-sS', '--max-time', '10', `http://127.0.0.1:${local}/`]);
        let s = '';
        p.stdout.on('data', (d) => (s += d));
        p.on('exit', () => resolve(s));
      })));
      assert.deepEqual(many, ['hello-from-pod\n', 'hello-from-pod\n', 'hello-from-pod\n']);
      // nothing listens on 9999 in the pod: the error comes back on the error stream
      curl('/', local + 1);
      await until('the forwarding error', () => /error forwarding port 9999/.test(err), 10_000);
    } finally {
      pf.kill();
    }

    // to a Service: kubectl picks a ready pod behind it and maps the service port to its named targetPort
    k(c.s, ['label', 'pod', 'web', 'app=web']);
    apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'websvc' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    const svcLocal = await freePort();
    const svcPf = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, 'kubectl', 'port-forward', 'svc/websvc', `${svcLocal}:80`], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let svcOut = '';
    svcPf.stdout.on('data', (d) => (svcOut += d));
    svcPf.stderr.on('data', (d) => (svcOut += d));
    try {
      await until('port-forward to the service to listen', () => svcOut.includes(`Forwarding from 127.0.0.1:${svcLocal} -> 8080`), 20_000);
      const r = spawnSync(inNetns('curl')[0], [...inNetns('curl').slice(1), '-sS', '--max-time', '10', `http://127.0.0.1:${svcLocal}/`], { encoding: 'utf8' });
      assert.equal(r.stdout, 'hello-from-pod\n', r.stderr + svcOut);
    } finally {
      svcPf.kill();
    }

    // the proxy subresources (kubectl proxy, get --raw): pod by port, service by port name or number, node endpoint
    const raw = (path: string) => kubectl(c.s, ['get', '--raw', path]);
    assert.equal(raw('/api/v1/namespaces/default/pods/web:8080/proxy/').stdout, 'hello-from-pod\n');
    assert.equal(raw('/api/v1/namespaces/default/pods/http:web:8080/proxy/big').stdout.length, 500_000, 'streamed through');
    assert.equal(raw('/api/v1/namespaces/default/services/websvc:http/proxy/').stdout, 'hello-from-pod\n');
    assert.equal(raw('/api/v1/namespaces/default/services/http:websvc:80/proxy/').stdout, 'hello-from-pod\n');
    assert.match(raw('/api/v1/namespaces/default/services/websvc:81/proxy/').stderr, /no service port 81 found for service "websvc"/);
    assert.match(raw('/api/v1/namespaces/default/pods/nope:8080/proxy/').stderr, /pods "nope" not found/);
    const summary = JSON.parse(raw(`/api/v1/nodes/${c.nodeName}/proxy/stats/summary`).stdout);
    assert.equal(summary.node.nodeName, c.nodeName);
    kubectl(c.s, ['delete', 'service', 'websvc']);
  });

  test('port-forward to a pod that does not exist or to a bad port is refused', () => {
    const r = kubectl(c.s, ['port-forward', 'pod/nope', '18080:80']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not found/);
  });

  test('postStart runs after start, preStop before SIGTERM, in order', async () => {
    const dir = join(work, 'order');
    const hooked = pod('hooked', {
      volumes: [{ name: 'out', hostPath: { path: dir, type: 'DirectoryOrCreate' } }],
      containers: [{
        name: 'main', image: 'busybox',
        volumeMounts: [{ name: 'out', mountPath: '/out' }],
        command: ['sh', '-c', 'trap "echo term >> /out/order; exit 0" TERM; echo main >> /out/order; while true; do sleep 0.1; done'],
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'echo poststart >> /out/order'] } },
          preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /out/order; sleep 1; echo prestop-done >> /out/order'] } },
        },
      }],
    });
    apply(hooked);
    await running('hooked');
    await until('postStart to have run', () => existsSync(join(dir, 'order')) && readFileSync(join(dir, 'order'), 'utf8').includes('poststart'));
    k(c.s, ['delete', 'pod', 'hooked', '--timeout=30s']);
    const lines = readFileSync(join(dir, 'order'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.filter((l) => l !== 'main' && l !== 'poststart'), ['prestop', 'prestop-done', 'term'], lines.join(','));
    assert.ok(lines.indexOf('poststart') < lines.indexOf('prestop'));
  });

  test('a preStop sleep delays SIGTERM within the grace period', async () => {
    const dir = join(work, 'sleep');
    apply(pod('sleeper', {
      volumes: [{ name: 'out', hostPath: { path: dir, type: 'DirectoryOrCreate' } }],
      containers: [{
        name: 'main', image: 'busybox', volumeMounts: [{ name: 'out', mountPath: '/out' }],
        command: ['sh', '-c', 'trap "date +%s > /out/term; exit 0" TERM; while true; do sleep 0.1; done'],
        lifecycle: { preStop: { sleep: { seconds: 2 } } },
      }],
    }));
    await running('sleeper');
    const started = Math.floor(Date.now() / 1000);
    k(c.s, ['delete', 'pod', 'sleeper', '--timeout=30s']);
    const term = Number(readFileSync(join(dir, 'term'), 'utf8').trim());
    assert.ok(term - started >= 2, `SIGTERM came ${term - started}s after the delete`);
  });

  test('a failing postStart kills the container with FailedPostStartHook; a failing preStop gives FailedPreStopHook', async () => {
    apply(pod('badstart', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 3'] } } } }] }));
    await until('FailedPostStartHook', () => events('FailedPostStartHook').find((e) => e.involvedObject.name === 'badstart'));
    const ev = events('FailedPostStartHook').find((e) => e.involvedObject.name === 'badstart')!;
    assert.match(ev.message, /Exec lifecycle hook \(\["sh","-c","echo nope; exit 3"\]\) for Container "main" in Pod "badstart_default/);
    // the container was killed: with restartPolicy Never the pod fails
    await until('badstart to fail', () => phase('badstart') === 'Failed');

    apply(pod('httpstart', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'], lifecycle: { postStart: { httpGet: { path: '/ready', port: 8081 } } } }] }));
    await until('FailedPostStartHook for httpGet', () => events('FailedPostStartHook').find((e) => e.involvedObject.name === 'httpstart' && /HTTP lifecycle hook \(\/ready\)/.test(e.message)));

    apply(pod('badstop', { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'], lifecycle: { preStop: { exec: { command: ['sh', '-c', 'exit 1'] } } } }] }));
    await running('badstop');
    k(c.s, ['delete', 'pod', 'badstop', '--timeout=30s']);
    await until('FailedPreStopHook', () => events('FailedPreStopHook').find((e) => e.involvedObject.name === 'badstop'));
  });
});
