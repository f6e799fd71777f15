// The in-process controllers reach the API over the loopback listener: plain
// HTTP on DATA_DIR/apiserver.sock, mode 0600, answering only with the server's
// in-memory token. Real server process, real unix socket, real controllers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { k, startServer, until, type ServerHandle } from './harness.js';

function overSocket(socketPath: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('loopback listener for in-process controllers', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer();
  });
  after(() => s?.cleanup());

  test('the socket is the owner\'s only and refuses requests without the server\'s token', async () => {
    const sock = join(s.dataDir, 'apiserver.sock');
    const st = statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    const anonymous = await overSocket(sock, '/api/v1/namespaces');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.kind, 'Status');
    const guessed = await overSocket(sock, '/api/v1/namespaces', { authorization: 'Bearer not-the-token' });
    assert.equal(guessed.status, 401);
  });

  test('controllers work through it: a Deployment gets its ReplicaSet and pods, the namespace its root CA', async () => {
    k(s, ['create', 'deployment', 'lb', '--image=busybox', '--replicas=2']);
    await until('2 pods created', () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=lb', '-o', 'json'])).items.length === 2);
    const ca = JSON.parse(k(s, ['get', 'configmap', 'kube-root-ca.crt', '-o', 'json'])).data['ca.crt'] as string;
    assert.match(ca, /BEGIN CERTIFICATE/, 'the published CA is the cluster CA, not empty');
    // the listener and the connections it accepted (informer watches, requests) are all named by its path
    const sock = join(s.dataDir, 'apiserver.sock');
    const entries = readFileSync('/proc/net/unix', 'utf8').split('\n').filter((l) => l.endsWith(` ${sock}`));
    assert.ok(entries.length > 5, `the controllers are connected through the socket (${entries.length} entries)`);
  });

  test('the socket is gone once the server stops', async () => {
    await s.stop();
    assert.throws(() => statSync(join(s.dataDir, 'apiserver.sock')));
  });
});
