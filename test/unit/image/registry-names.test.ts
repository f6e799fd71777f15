// Image references as Docker reads them, where each registry is reached, and
// the WWW-Authenticate challenges and docker config credentials a pull uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidReference, normalizeReference, parseReference } from '../../../src/image/reference.js';
import { isLoopbackRegistry, locateImage, registryBaseUrl } from '../../../src/image/registry/registry-name.js';
import { parseWwwAuthenticate } from '../../../src/image/registry/www-authenticate.js';
import { credentialsFor, normalizeRegistryKey, parseDockerConfig, secretCredentials, CredentialsError } from '../../../src/image/registry/credentials.js';
import { manifestKind, ManifestError, pickPlatform } from '../../../src/image/registry/manifests.js';

const D = `sha256:${'ab'.repeat(32)}`;

test('references default to docker.io/library and :latest as docker does', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['someone/app', 'docker.io/someone/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app:latest'],
    ['registry.example.com/a/b/c:1.0-rc.1', 'registry.example.com/a/b/c:1.0-rc.1'],
    [`quay.io/app@${D}`, `quay.io/app@${D}`],
    [`quay.io/app:1@${D}`, `quay.io/app:1@${D}`],
    // a name with no registry part and a port-like tag is a tag, as docker reads it
    ['localhost:5000', 'docker.io/library/localhost:5000'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeReference(input), want, input);
  assert.deepEqual(parseReference(`app@${D}`), { repository: 'docker.io/library/app', tag: undefined, digest: D });
});

test('bad references are refused', () => {
  for (const bad of ['', 'Busybox', 'a b', 'app:', 'app:-x', 'app@sha256:1234', 'http://x/app', 'x//y', 'app:' + 'a'.repeat(129), '/app']) {
    assert.throws(() => parseReference(bad), InvalidReference, bad);
  }
});

test('each image names its registry, path and manifest reference', () => {
  assert.deepEqual({ ...locateImage('busybox'), ref: undefined }, { registry: 'docker.io', path: 'library/busybox', reference: 'latest', ref: undefined });
  assert.equal(locateImage(`localhost:5000/a/b:1@${D}`).reference, D);
  assert.equal(locateImage('localhost:5000/a/b:1').path, 'a/b');
  assert.equal(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
  assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.equal(registryBaseUrl('localhost:5000'), 'http://localhost:5000');
  assert.equal(registryBaseUrl('reg.example:5000'), 'https://reg.example:5000');
  assert.equal(registryBaseUrl('reg.example:5000', { insecureRegistries: ['reg.example:5000'] }), 'http://reg.example:5000');
  assert.equal(isLoopbackRegistry('127.1.2.3:80'), true);
  assert.equal(isLoopbackRegistry('[::1]:5000'), true);
  assert.equal(isLoopbackRegistry('10.0.0.1:5000'), false);
});

test('WWW-Authenticate: Bearer with quoted commas, Basic, several challenges', () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseWwwAuthenticate('Basic realm="a \\"quoted\\" realm", Bearer realm=https://t.example/token, service=reg'), [
    { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
    { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'reg' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('BEARER Realm="x"'), [{ scheme: 'bearer', params: { realm: 'x' } }]);
  assert.deepEqual(parseWwwAuthenticate(''), []);
  // garbage neither loops nor throws
  assert.doesNotThrow(() => parseWwwAuthenticate('=,="",Bearer realm="unterminated'));
  assert.equal(parseWwwAuthenticate('Bearer realm="unterminated')[0].params.realm, 'unterminated');
});

test('docker config.json: base64 auth, username/password, Docker Hub spellings, most specific first', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const creds = parseDockerConfig(
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:pw') },
        'localhost:5000': { auth: b64('alice:pa:ss') },
        'localhost:5000/team': { username: 'bob', password: 'x' },
        'http://other.example': { identitytoken: 'tok' },
      },
    }),
  );
  assert.deepEqual(credentialsFor(creds, 'docker.io', 'library/busybox'), [{ prefix: 'docker.io', username: 'hub', password: 'pw' }]);
  assert.deepEqual(
    credentialsFor(creds, 'localhost:5000', 'team/app').map((c) => c.username),
    ['bob', 'alice'],
  );
  assert.deepEqual(credentialsFor(creds, 'localhost:5000', 'teamwork/app').map((c) => c.password), ['pa:ss']);
  assert.deepEqual(credentialsFor(creds, 'localhost:5001', 'team/app'), []);
  assert.equal(credentialsFor(creds, 'other.example', 'x')[0].identityToken, 'tok');
  assert.equal(normalizeRegistryKey('https://Registry-1.docker.io/v2/'), 'docker.io');
  assert.throws(() => parseDockerConfig('{'), CredentialsError);
  assert.throws(() => parseDockerConfig(JSON.stringify({ auths: { x: { auth: b64('nocolon') } } })), CredentialsError);
});

test('imagePullSecrets: dockerconfigjson and the older dockercfg', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const json = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'reg:1': { auth: b64('u:p') } } })) } };
  assert.deepEqual(secretCredentials(json, 'ns/s'), [{ prefix: 'reg:1', username: 'u', password: 'p' }]);
  const cfg = { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg:1': { auth: b64('u:p') } })) } };
  assert.deepEqual(secretCredentials(cfg, 'ns/s'), [{ prefix: 'reg:1', username: 'u', password: 'p' }]);
  assert.deepEqual(secretCredentials({ type: 'Opaque', data: {} }, 'ns/s'), []);
});

test('manifest kinds and the platform picked from an index', () => {
  assert.equal(manifestKind('application/vnd.oci.image.index.v1+json', {}), 'index');
  assert.equal(manifestKind('application/vnd.docker.distribution.manifest.list.v2+json', {}), 'index');
  assert.equal(manifestKind('application/vnd.docker.distribution.manifest.v2+json; charset=utf-8', {}), 'image');
  assert.equal(manifestKind('application/json', { layers: [] }), 'image');
  assert.throws(() => manifestKind('application/vnd.docker.distribution.manifest.v1+prettyjws', {}), ManifestError);
  const entry = (architecture: string, variant?: string) => ({ mediaType: 'x', digest: `${architecture}${variant ?? ''}`, size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const list = [entry('arm', 'v7'), entry('arm64', 'v8'), entry('amd64'), { mediaType: 'x', digest: 'attest', size: 1, platform: { os: 'unknown', architecture: 'unknown' } }];
  assert.equal(pickPlatform(list, { os: 'linux', architecture: 'amd64' }).digest, 'amd64');
  assert.equal(pickPlatform(list, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, 'arm64v8');
  assert.throws(() => pickPlatform(list, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x/);
});
