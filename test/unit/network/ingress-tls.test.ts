// Which certificate the ingress serves for a server name, and how Secrets become
// secure contexts (real TLS contexts and a real self-signed certificate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/api/object.js';
import { IngressCertificates, keyPairOf, redirectsToHttps, tlsSecretFor } from '../../../src/network/ingress/ingress-tls.js';

const ing = (name: string, tls: object[], created = '2026-01-01T00:00:00Z', annotations?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'shop', creationTimestamp: created, annotations }, spec: { tls } }) as KubeObject;

test('the tls entry naming the host: exact before wildcard, then the oldest Ingress; no entry, no certificate', () => {
  const list = [
    ing('wild', [{ hosts: ['*.example.com'], secretName: 'wild-cert' }], '2026-01-01T00:00:00Z'),
    ing('exact-new', [{ hosts: ['www.example.com'], secretName: 'new-cert' }], '2026-03-01T00:00:00Z'),
    ing('exact-old', [{ hosts: ['WWW.example.com'], secretName: 'old-cert' }], '2026-02-01T00:00:00Z'),
    ing('no-secret', [{ hosts: ['bare.example.org'] }]),
  ];
  assert.deepEqual(tlsSecretFor(list, 'www.example.com'), { namespace: 'shop', secretName: 'old-cert' });
  assert.deepEqual(tlsSecretFor(list, 'www.example.com:8443'), { namespace: 'shop', secretName: 'old-cert' }, 'a Host header port is ignored');
  assert.deepEqual(tlsSecretFor(list, 'api.example.com'), { namespace: 'shop', secretName: 'wild-cert' });
  assert.equal(tlsSecretFor(list, 'a.b.example.com'), undefined, 'a wildcard covers one label');
  assert.equal(tlsSecretFor(list, 'bare.example.org'), undefined, 'an entry without a secret serves the default');
  assert.equal(tlsSecretFor(list, 'other.org'), undefined);
  assert.equal(tlsSecretFor(list, undefined), undefined, 'a client without SNI gets the default');
});

test('plain HTTP to a TLS host is redirected unless the Ingress turns it off', () => {
  assert.ok(redirectsToHttps([ing('a', [{ hosts: ['shop.test'], secretName: 's' }])], 'shop.test'));
  assert.ok(!redirectsToHttps([ing('a', [{ hosts: ['shop.test'], secretName: 's' }])], 'other.test'));
  assert.ok(!redirectsToHttps([ing('a', [{ hosts: ['shop.test'], secretName: 's' }], undefined, { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' })], 'shop.test'));
});

function selfSigned(cn: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'c'), 'utf8'), key: readFileSync(join(dir, 'k'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const secret = (name: string, pair: { cert: string; key: string }, rv = '1', type = 'kubernetes.io/tls'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace: 'shop', resourceVersion: rv }, data: { 'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64') } }) as unknown as KubeObject;

test('a Secret must be kubernetes.io/tls with tls.crt and tls.key', () => {
  const pair = selfSigned('shop.test');
  assert.deepEqual(keyPairOf(secret('s', pair)), pair);
  assert.match(keyPairOf(secret('s', pair, '1', 'Opaque')) as string, /of type Opaque, not kubernetes.io\/tls/);
  const empty = { ...secret('s', pair), data: {} } as unknown as KubeObject;
  assert.match(keyPairOf(empty) as string, /has no tls.crt or tls.key/);
});

test('contexts are cached, re-read after the refresh period, and fall back to the default certificate', async () => {
  const store = new Map<string, KubeObject>([['shop/good', secret('good', selfSigned('shop.test'))], ['shop/bad', secret('bad', { cert: 'junk', key: 'junk' })]]);
  let reads = 0;
  const logs: string[] = [];
  const certs = new IngressCertificates(async (ns, name) => {
    reads++;
    const s = store.get(`${ns}/${name}`);
    if (!s) throw new Error(`secrets "${name}" not found`);
    return s;
  }, (m) => logs.push(m), 1000);
  const fallback = await certs.defaultKeyPair();
  assert.match(fallback.cert, /BEGIN CERTIFICATE/);
  const good = await certs.contextFor({ namespace: 'shop', secretName: 'good' }, 0);
  assert.ok(good && good !== certs.defaultContext);
  assert.equal(await certs.contextFor({ namespace: 'shop', secretName: 'good' }, 500), good, 'cached');
  assert.equal(reads, 1);
  assert.equal(await certs.contextFor({ namespace: 'shop', secretName: 'good' }, 1500), good, 'same resourceVersion: same context');
  assert.equal(reads, 2);
  store.set('shop/good', secret('good', selfSigned('shop.test'), '2'));
  const renewed = await certs.contextFor({ namespace: 'shop', secretName: 'good' }, 3000);
  assert.ok(renewed && renewed !== good, 'a renewed certificate is picked up');
  assert.equal(await certs.contextFor({ namespace: 'shop', secretName: 'bad' }, 0), certs.defaultContext, 'a broken pair serves the default');
  assert.equal(await certs.contextFor({ namespace: 'shop', secretName: 'missing' }, 0), certs.defaultContext, 'a missing secret serves the default');
  assert.equal(logs.length, 2);
});
