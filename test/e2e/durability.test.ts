// kill -9 during a burst of writes: every write the server acknowledged is there
// after a restart on the same data dir; SIGTERM stops cleanly and keeps everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { parse as parseYaml } from 'yaml';
import { k, startServer, type ServerHandle } from './harness.js';

function agentFor(s: ServerHandle): https.Agent {
  const cfg = parseYaml(readFileSync(s.kubeconfig, 'utf8'));
  const user = cfg.users[0].user;
  return new https.Agent({
    ca: Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64'),
    cert: Buffer.from(user['client-certificate-data'], 'base64'),
    key: Buffer.from(user['client-key-data'], 'base64'),
    keepAlive: true,
    maxSockets: 16,
  });
}

function create(s: ServerHandle, agent: https.Agent, name: string): Promise<number> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } });
    const req = https.request(
      { host: '127.0.0.1', port: s.port, method: 'POST', path: '/api/v1/namespaces/default/configmaps', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

test('acknowledged writes survive kill -9', async () => {
  const s = await startServer();
  const acked: string[] = [];
  try {
    const agent = agentFor(s);
    let i = 0;
    let killed = false;
    const writers = Array.from({ length: 8 }, async () => {
      while (!killed) {
        const name = `cm-${i++}`;
        const code = await create(s, agent, name);
        if (code === 201) acked.push(name);
      }
    });
    // kill in the middle of the stream, once enough writes were acknowledged to mean something
    // (counted, not timed: a loaded machine answers slower)
    for (const end = Date.now() + 60_000; acked.length < 100 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    await s.kill9();
    killed = true;
    await Promise.all(writers);
    agent.destroy();
    assert.ok(acked.length > 50, `only ${acked.length} writes were acknowledged before the kill`);

    const again = await startServer({ dataDir: s.dataDir });
    try {
      const names = new Set(k(again, ['get', 'cm', '-o', 'name']).split('\n').filter(Boolean).map((l) => l.replace('configmap/', '')));
      const lost = acked.filter((n) => !names.has(n));
      assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost out of ${acked.length}`);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

test('SIGTERM stops cleanly and a restart keeps every object and the certificates', async () => {
  const s = await startServer();
  try {
    k(s, ['create', 'namespace', 'kept']);
    k(s, ['-n', 'kept', 'create', 'secret', 'generic', 's1', '--from-literal=k=v']);
    const code = await s.stop('SIGTERM');
    assert.equal(code, 0, s.output());
    const again = await startServer({ dataDir: s.dataDir, port: s.port });
    try {
      assert.equal(k(again, ['-n', 'kept', 'get', 'secret', 's1', '-o', 'jsonpath={.data.k}']), Buffer.from('v').toString('base64'));
    } finally {
      assert.equal(await again.stop('SIGTERM'), 0);
    }
  } finally {
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});
