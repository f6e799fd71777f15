// kubectl debug on a real node: ephemeral containers added to a running pod
// through pods/ephemeralcontainers (kubectl's strategic merge patch), started
// in the pod's sandbox, with --target in the target's PID namespace, reported
// in status.ephemeralContainerStatuses, reachable by logs and attach, never
// removed or changed, and stopped with the pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k, kubectl, until } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';

type Obj = Record<string, any>;

describe('ephemeral containers: kubectl debug', () => {
  let c: NodeCluster;
  let work: string;
  const getPod = (name: string): Obj => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json']));
  const ephemeralStatus = (pod: string, name: string): Obj | undefined => (getPod(pod).status?.ephemeralContainerStatuses ?? []).find((s: Obj) => s.name === name);
  const logs = (pod: string, container: string) => kubectl(c.s, ['logs', pod, '-c', container]);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-debug-'));
    c = await startNodeCluster('skiff-debug');
    // the target's process is one a debug container can only see in the target's PID namespace
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app' }, spec: { nodeName: c.nodeName, terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '424242'] }] } };
    k(c.s, ['apply', '-f', '-'], JSON.stringify(pod));
    await until('app running', () => getPod('app').status?.phase === 'Running', 60_000);
  });

  after(async () => {
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("debug --target runs in the pod, sees the target's processes, and is reported in status", async () => {
    const r = kubectl(c.s, ['debug', 'app', '--image=busybox', '--target=main', '-c', 'debugger', '--attach=false', '--', 'sh', '-c', 'ps; echo debug-ran']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const st = await until('debugger terminated', () => ephemeralStatus('app', 'debugger')?.state?.terminated && ephemeralStatus('app', 'debugger'), 60_000);
    assert.equal(st.state.terminated.exitCode, 0);
    assert.equal(st.ready, false);
    assert.equal(st.image, 'busybox');
    assert.match(st.containerID, /^runc:\/\/.+-debugger-0$/);
    assert.ok(st.imageID, 'an imageID is reported');
    const out = await until('debugger log', () => /debug-ran/.test(logs('app', 'debugger').stdout) && logs('app', 'debugger').stdout);
    assert.match(out, /sleep 424242/, `ps in the target's PID namespace lists the target's process:\n${out}`);
    // the pod's own containers are untouched and still ready
    const pod = getPod('app');
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.containerStatuses[0].ready, true);
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
    // it is not restarted after it exits
    await new Promise((r2) => setTimeout(r2, 3000));
    assert.match(ephemeralStatus('app', 'debugger')!.containerID, /-debugger-0$/);
    const started = JSON.parse(k(c.s, ['get', 'events', '--field-selector', 'reason=Started', '-o', 'json'])).items as Obj[];
    assert.ok(started.some((e) => e.involvedObject.fieldPath === 'spec.ephemeralContainers{debugger}'), 'a Started event names the ephemeral container');
  });

  test('a second debug -i adds another container, attached with stdin, in its own PID namespace without --target', async () => {
    const r = kubectl(c.s, ['debug', 'app', '--image=busybox', '-c', 'second', '-i', '--', 'sh', '-c', 'read line; echo got-$line; ps'], 'hello\n');
    // kubectl attaches once it is running; a container that is already done is streamed from its log instead
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /got-hello/, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /sleep 424242/, 'without a target it has a PID namespace of its own');
    const names = (getPod('app').spec.ephemeralContainers as Obj[]).map((e) => e.name);
    assert.deepEqual(names, ['debugger', 'second']);
    const spec = (getPod('app').spec.ephemeralContainers as Obj[])[1];
    assert.equal(spec.stdin, true);
    await until('second terminated', () => ephemeralStatus('app', 'second')?.state?.terminated);
  });

  test('removing or changing an ephemeral container through the subresource is a 422', () => {
    const removed = kubectl(c.s, ['patch', 'pod', 'app', '--subresource=ephemeralcontainers', '--type=json', '-p', '[{"op":"remove","path":"/spec/ephemeralContainers/1"}]']);
    assert.notEqual(removed.code, 0);
    assert.match(removed.stderr, /is invalid: spec\.ephemeralContainers: Forbidden: existing ephemeral containers "second" may not be removed/, removed.stderr);
    const changed = kubectl(c.s, ['patch', 'pod', 'app', '--subresource=ephemeralcontainers', '--type=json', '-p', '[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"debian"}]']);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /existing ephemeral containers "debugger" may not be changed/, changed.stderr);
    // a PUT of the pod without them (older kubectl's verb) is refused the same way
    const pod = getPod('app');
    pod.spec.ephemeralContainers = [];
    const file = join(work, 'pod.json');
    writeFileSync(file, JSON.stringify(pod));
    const put = kubectl(c.s, ['replace', '--raw', '/api/v1/namespaces/default/pods/app/ephemeralcontainers', '-f', file]);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr + put.stdout, /may not be removed/);
    // a bad addition: a duplicate name, ports, and a target that is not there
    const bad = kubectl(c.s, ['patch', 'pod', 'app', '--subresource=ephemeralcontainers', '--type=strategic', '-p', JSON.stringify({ spec: { ephemeralContainers: [{ name: 'main', image: 'busybox', ports: [{ containerPort: 80 }], targetContainerName: 'nope' }] } })]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Duplicate value: "main"/);
    assert.match(bad.stderr, /ports: Forbidden: cannot be set for an Ephemeral Container/);
    assert.match(bad.stderr, /targetContainerName: Not found: "nope"/);
    assert.equal((getPod('app').spec.ephemeralContainers as Obj[]).length, 2);
  });

  test("the pod's own update cannot touch ephemeral containers", () => {
    const r = kubectl(c.s, ['patch', 'pod', 'app', '--type=json', '-p', '[{"op":"remove","path":"/spec/ephemeralContainers/0"}]']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod updates may not change fields/, r.stderr);
    const add = kubectl(c.s, ['patch', 'pod', 'app', '--type=json', '-p', '[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"x","image":"busybox"}}]']);
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /pod updates may not change fields/, add.stderr);
    // the subresource GET answers the pod
    assert.equal(JSON.parse(k(c.s, ['get', '--raw', '/api/v1/namespaces/default/pods/app/ephemeralcontainers'])).kind, 'Pod');
  });

  test('debug -it gives a shell on a real terminal in the target\'s PID namespace', async () => {
    // script(1) gives kubectl a pty, as a user's terminal
    const cmd = `exec nsenter --net=/var/run/netns/${c.netns} kubectl debug app -it --image=busybox --target=main -c shell -- sh`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { input: 'sleep 2; tty; ps; echo typed-$((6*7)); exit 5\n', env: { ...process.env, KUBECONFIG: c.s.kubeconfig, HOME: process.env.HOME ?? '/root' }, encoding: 'utf8', timeout: 60_000 });
    assert.match(r.stdout, /typed-42/, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+/, r.stdout);
    assert.match(r.stdout, /sleep 424242/, r.stdout);
    const st = await until('shell terminated', () => ephemeralStatus('app', 'shell')?.state?.terminated);
    assert.equal(st.exitCode, 5);
    const spec = (getPod('app').spec.ephemeralContainers as Obj[]).find((e) => e.name === 'shell')!;
    assert.equal(spec.tty, true);
    assert.equal(spec.targetContainerName, 'main');
  });

  test('a running ephemeral container is stopped and removed with the pod', async () => {
    const r = kubectl(c.s, ['debug', 'app', '--image=busybox', '--target=main', '-c', 'lingering', '--attach=false', '--', 'sleep', '100000']);
    assert.equal(r.code, 0, r.stderr);
    await until('lingering running', () => ephemeralStatus('app', 'lingering')?.state?.running, 60_000);
    const uid = getPod('app').metadata.uid as string;
    assert.ok(c.runcList().some((id) => id.startsWith(uid.slice(0, 13)) && id.includes('-lingering-')));
    k(c.s, ['delete', 'pod', 'app', '--wait=true', '--timeout=60s']);
    assert.deepEqual(c.runcList().filter((id) => id.startsWith(uid.slice(0, 13))), [], 'no container of the pod is left');
  });
});
