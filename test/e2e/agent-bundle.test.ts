// The bundled agent (scripts/bundle-agent.mjs, which `npm run build` runs and
// bin/skiff starts for `skiff agent`) is the agent users run: built here from
// the sources into a scratch build, it joins a cluster, runs a pod, serves its
// log over the kubelet endpoint (its self-signed certificate written with
// node:crypto, pki/self-signed.ts) and runs `kubectl exec -it` (node-pty,
// required at its first use from outside the bundle).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, k, until } from './harness.js';
import { removeContainers, startNodeCluster, type NodeCluster } from './node-harness.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = 'bundled';

describe('the bundled agent bin/skiff runs', () => {
  let c: NodeCluster;
  let build: string;
  let agent: ChildProcess | undefined;
  let dataDir: string;
  const status = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json'])).status;

  before(async () => {
    // inside the repository: the bundle finds node-pty in its node_modules, as dist/agent does
    mkdirSync(join(ROOT, '.skiff-test'), { recursive: true });
    build = mkdtempSync(join(ROOT, '.skiff-test/bundle-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', build], { cwd: ROOT, stdio: 'inherit' });
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-agent.mjs'), build], { cwd: ROOT, stdio: 'inherit' });
    c = await startNodeCluster('agent-bundle');
    dataDir = join(c.s.dataDir, NODE);
    const kubeletPort = await freePort();
    agent = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, join(ROOT, 'bin/skiff'), 'agent', '--kubeconfig', c.s.kubeconfig, '--node-name', NODE, '--data-dir', dataDir, '--cgroup-parent', c.cgroupParent, '--kubelet-port', String(kubeletPort), '--cni-bridge', `cni-${NODE}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SKIFF_DIST: build } });
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    agent.stderr!.on('data', (d) => (out += d));
    await until('bundled agent ready', () => out.includes('skiff agent ready') || agent!.exitCode !== null, 60_000);
    assert.equal(agent.exitCode, null, out);
  });

  after(async () => {
    if (c) k(c.s, ['delete', 'pod', 'bundled-shell', '--ignore-not-found', '--grace-period=1', '--timeout=30s']);
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    if (dataDir) removeContainers(dataDir);
    await c?.stop();
    if (build) rmSync(build, { recursive: true, force: true });
  });

  test('the launcher runs the bundle, not the module tree', () => {
    const cmdline = readFileSync(`/proc/${agent!.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes(join(build, 'agent/main.js')), cmdline.join(' '));
  });

  test('a pod runs, its log comes through the kubelet endpoint, and exec -it gets a terminal', async () => {
    k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bundled-shell' }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo hello from the bundle; sleep 3600'] }] } }));
    await until('pod running', () => status('bundled-shell').containerStatuses?.[0]?.state?.running, 60_000);
    await until('log served', () => /hello from the bundle/.test(k(c.s, ['logs', 'bundled-shell'])));
    // runc applies the terminal's size as the shell starts: a first command may see 0 0 (seen once in CI), so it waits for it
    const cmd = `stty rows 33 cols 91; exec nsenter --net=/var/run/netns/${c.netns} kubectl exec -it bundled-shell -- sh`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { input: 'tty; for i in $(seq 50); do [ "$(stty size 2>/dev/null)" = "33 91" ] && break; sleep 0.1; done; stty size; exit 3\n', env: { ...process.env, KUBECONFIG: c.s.kubeconfig }, encoding: 'utf8', timeout: 30_000 });
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /33 91/);
  });
});
