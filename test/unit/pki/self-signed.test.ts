// The DER-written self-signed certificate, read back by node:crypto (OpenSSL)
// and by the openssl command, and used for a real TLS handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { selfSigned } from '../../../src/apiserver/pki/self-signed.js';
import { time, oid, unsignedInteger } from '../../../src/apiserver/pki/der.js';

test('DER pieces: OIDs with multi-byte arcs, integers keep positive, times switch to GeneralizedTime in 2050', () => {
  assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  assert.equal(unsignedInteger(Buffer.from([0x80])).toString('hex'), '02020080');
  assert.equal(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex'), '020105');
  assert.equal(time(new Date('2049-12-31T23:59:59Z')).toString('ascii').slice(2), '491231235959Z');
  assert.equal(time(new Date('2050-01-01T00:00:00Z')).toString('ascii').slice(2), '20500101000000Z');
});

test('selfSigned: a CA:true P-256 certificate for the CN, valid from a minute ago for the days asked, signed by its own key', async () => {
  const now = new Date();
  const { certPem, keyPem } = await selfSigned('kubelet-node-a', now, 365);
  const cert = new X509Certificate(certPem);
  assert.equal(cert.subject, 'CN=kubelet-node-a');
  assert.equal(cert.issuer, 'CN=kubelet-node-a');
  assert.equal(cert.ca, true);
  assert.ok(cert.verify(cert.publicKey), 'self-signature verifies');
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)), 'the key is the certificate\'s');
  assert.equal(createPublicKey(certPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  assert.ok(Math.abs(from - (now.getTime() - 60_000)) < 2000, cert.validFrom);
  assert.ok(Math.abs(to - (now.getTime() + 365 * 86_400_000)) < 2000, cert.validTo);
  const other = await selfSigned('kubelet-node-a', now, 365);
  assert.notEqual(new X509Certificate(other.certPem).serialNumber, cert.serialNumber, 'random serials');

  // the openssl command reads every extension
  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: certPem, encoding: 'utf8' });
  assert.match(text, /Version: 3/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
  assert.match(text, /X509v3 Subject Key Identifier:\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-selfsigned-'));
  try {
    writeFileSync(join(dir, 'c.pem'), certPem);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'c.pem'), join(dir, 'c.pem')], { encoding: 'utf8' }), /: OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('selfSigned: serves TLS to a client that trusts it', async () => {
  const { certPem, keyPem } = await selfSigned('localhost', new Date(), 1);
  const server = tls.createServer({ cert: certPem, key: keyPem }, (s) => s.end('hello'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca: certPem, checkServerIdentity: () => undefined });
    let data = '';
    socket.on('data', (d) => (data += d));
    await once(socket, 'end');
    assert.equal(data, 'hello');
    assert.ok(socket.authorized, String(socket.authorizationError));
    socket.destroy();
  } finally {
    server.close();
  }
});
