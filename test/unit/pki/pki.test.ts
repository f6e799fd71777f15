// Real certificates: the kubeconfig works with the real kubectl over a real
// HTTPS server, and expiring or expired certificates are re-issued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { ensurePki } from '../../../src/apiserver/pki/index.js';
import { createAuthenticator } from '../../../src/apiserver/authn/index.js';
import { createCa, issueLeaf } from '../../../src/apiserver/pki/certificates.js';
import { writeFileSync } from 'node:fs';

const DAY = 86_400_000;

// async: the HTTPS server under test runs in this process
async function run(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)('kubectl', args, { env: { ...process.env, ...env }, encoding: 'utf8' });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { status: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) };
  }
}

test('kubectl trusts the CA and authenticates with the admin certificate; tokens work; a foreign CA does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  try {
    const started = performance.now();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const pki = await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port });
    const coldMs = performance.now() - started;
    assert.ok(coldMs < 5000, `fresh PKI took ${coldMs} ms`);
    writeFileSync(join(dir, 'tokens.csv'), 'sekret,alice,u1,"dev,ops"\n');
    const authn = createAuthenticator({ dataDir: dir, pki });
    const server = https.createServer(pki.httpsOptions(), (req, res) => {
      const user = authn(req);
      res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(user ?? { kind: 'Status', code: 401 }));
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await run(['get', '--raw', '/whoami'], { KUBECONFIG: join(dir, 'admin.kubeconfig') });
      assert.equal(r.status, 0, r.stderr);
      const who = JSON.parse(r.stdout);
      assert.equal(who.username, 'system:admin');
      assert.deepEqual(who.groups, ['system:masters', 'system:authenticated']);

      const tok = await run(['get', '--raw', '/whoami', '--token=sekret', '--server', `https://127.0.0.1:${port}`, '--certificate-authority', join(dir, 'tls/ca.crt'), '--kubeconfig=/dev/null']);
      assert.equal(tok.status, 0, tok.stderr);
      assert.equal(JSON.parse(tok.stdout).username, 'alice');

      // a client certificate from another CA is not accepted
      const other = await createCa('other', new Date(), 10);
      const leaf = await issueLeaf(other, { commonName: 'mallory', organizations: ['system:masters'], usage: 'client', now: new Date(), validityDays: 1 });
      const code = await new Promise<number>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: '/whoami', ca: pki.caCertPem, cert: leaf.certPem, key: leaf.keyPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(code, 401);
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a serving certificate close to expiry, or already expired, is re-issued at start and by renewIfNeeded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  try {
    const t0 = new Date('2026-01-01T00:00:00Z');
    // issued with 30-day leaves "a year ago": long expired by now
    await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port: 6443, now: () => new Date(t0.getTime() - 365 * DAY), leafValidityDays: 30 });
    const expired = new X509Certificate(readFileSync(join(dir, 'tls/serving.crt')));
    assert.ok(new Date(expired.validTo).getTime() < t0.getTime());
    const pki = await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port: 6443, now: () => t0 });
    const fresh = new X509Certificate(pki.servingCertPem);
    assert.ok(new Date(fresh.validTo).getTime() > t0.getTime() + 300 * DAY, 'renewed for a year');
    assert.notEqual(fresh.serialNumber, expired.serialNumber);
    assert.match(readFileSync(join(dir, 'admin.kubeconfig'), 'utf8'), /client-certificate-data/);

    // nothing to do while far from expiry; 80 days before expiry it renews without restart
    assert.equal(await pki.renewIfNeeded(), false);
    let clock = new Date(new Date(fresh.validTo).getTime() - 80 * DAY);
    const later = await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port: 6443, now: () => clock });
    const renewed = new X509Certificate(later.servingCertPem);
    assert.notEqual(renewed.serialNumber, fresh.serialNumber);
    clock = new Date(clock.getTime() + 1000);
    assert.equal(await later.renewIfNeeded(), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('new names in --tls-san re-issue the serving certificate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  try {
    const a = await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port: 6443 });
    const b = await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port: 6443, extraSans: ['skiff.example.com', '192.0.2.10'] });
    assert.notEqual(a.servingCertPem, b.servingCertPem);
    const cert = new X509Certificate(b.servingCertPem);
    assert.match(cert.subjectAltName ?? '', /DNS:skiff\.example\.com/);
    assert.match(cert.subjectAltName ?? '', /IP Address:192\.0\.2\.10/);
    const c = await ensurePki({ dataDir: dir, bindAddress: '127.0.0.1', port: 6443, extraSans: ['skiff.example.com', '192.0.2.10'] });
    assert.equal(b.servingCertPem, c.servingCertPem, 'unchanged when nothing changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
