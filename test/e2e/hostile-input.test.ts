// Malformed and hostile requests get the right Status code, and the store is
// unchanged and readable afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parse as parseYaml } from 'yaml';
import { k, startServer, type ServerHandle } from './harness.js';

interface Reply {
  code: number;
  body: Record<string, any>;
  raw: string;
}

function client(s: ServerHandle) {
  const cfg = parseYaml(readFileSync(s.kubeconfig, 'utf8'));
  const user = cfg.users[0].user;
  const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64');
  const cert = Buffer.from(user['client-certificate-data'], 'base64');
  const key = Buffer.from(user['client-key-data'], 'base64');
  const agent = new https.Agent({ ca, cert, key, keepAlive: true });
  return function request(method: string, path: string, body?: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: s.port, method, path, agent, headers: { 'content-type': contentType, accept: 'application/json', ...headers } },
        (res) => {
          let raw = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (raw += d));
          res.on('end', () => {
            let parsed: Record<string, any> = {};
            try {
              parsed = JSON.parse(raw);
            } catch {
              parsed = {};
            }
            resolve({ code: res.statusCode ?? 0, body: parsed, raw });
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  };
}

describe('hostile input', () => {
  let s: ServerHandle;
  let req: ReturnType<typeof client>;
  const cms = '/api/v1/namespaces/default/configmaps';
  before(async () => {
    s = await startServer();
    req = client(s);
    const r = await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { x: '1' } }));
    assert.equal(r.code, 201);
  });
  after(() => s?.cleanup());

  const statusOf = (r: Reply, code: number, reason?: string) => {
    assert.equal(r.code, code, r.raw);
    assert.equal(r.body.kind, 'Status', r.raw);
    assert.equal(r.body.apiVersion, 'v1');
    assert.equal(r.body.status, 'Failure');
    assert.equal(r.body.code, code);
    if (reason) assert.equal(r.body.reason, reason, r.raw);
  };

  test('malformed JSON and YAML are 400', async () => {
    statusOf(await req('POST', cms, '{"apiVersion":"v1",'), 400, 'BadRequest');
    statusOf(await req('POST', cms, 'kind: [unclosed', 'application/yaml'), 400, 'BadRequest');
    statusOf(await req('POST', cms, '[1,2,3]'), 400, 'BadRequest');
    statusOf(await req('POST', cms, '"just a string"'), 400, 'BadRequest');
    statusOf(await req('POST', cms, ''), 400, 'BadRequest');
  });

  test('malformed protobuf bodies are 400', async () => {
    const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
    for (const tail of [Buffer.alloc(0), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x0a, 0x02, 0x0a]), Buffer.from('garbage'), Buffer.from([0x12, 0x05, 0x19, 0x01, 0x02])]) {
      statusOf(await req('POST', cms, Buffer.concat([magic, tail]), 'application/vnd.kubernetes.protobuf'), 400, 'BadRequest');
    }
    statusOf(await req('POST', cms, Buffer.from('no magic'), 'application/vnd.kubernetes.protobuf'), 400, 'BadRequest');
  });

  test('values of the wrong shape are 400, not a crash', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    for (const spec of ['"x"', '[1]', '{"containers":"nope"}', '{"containers":[{"name":"c","image":"i","env":{"a":1}}]}', '{"containers":[7]}']) {
      const r = await req('POST', pods, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"shape"},"spec":${spec}}`);
      statusOf(r, 400, 'BadRequest');
      assert.match(r.body.message, /cannot unmarshal/);
    }
    statusOf(await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shape' }, data: ['a'] })), 400, 'BadRequest');
    statusOf(await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shape', labels: 'x' } })), 400, 'BadRequest');
    // scalars of the wrong type too, as Go's decoder refuses them (not a 422 about their value)
    for (const [field, value, want] of [['activeDeadlineSeconds', '"ten"', /cannot unmarshal string into Go struct field Pod\.spec\.activeDeadlineSeconds/], ['activeDeadlineSeconds', '1.5', /cannot unmarshal number 1\.5/], ['hostNetwork', '"yes"', /of type bool/]] as const) {
      const r = await req('POST', pods, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"shape"},"spec":{"${field}":${value},"containers":[{"name":"c","image":"i"}]}}`);
      statusOf(r, 400, 'BadRequest');
      assert.match(r.body.message, want);
    }
  });

  test('unsupported content types are 415', async () => {
    statusOf(await req('POST', cms, '<xml/>', 'application/xml'), 415, 'UnsupportedMediaType');
    statusOf(await req('PATCH', `${cms}/keep`, '{}', 'text/plain'), 415, 'UnsupportedMediaType');
  });

  test('wrong kinds and versions are 400', async () => {
    statusOf(await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })), 400, 'BadRequest');
    statusOf(await req('POST', cms, JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } })), 400, 'BadRequest');
    statusOf(await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: 'oops' })), 400, 'BadRequest');
  });

  test('invalid names are 422 with field causes', async () => {
    for (const name of ['UPPER', 'has_underscore', '-leading', 'a'.repeat(254), '']) {
      const r = await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }));
      statusOf(r, 422, 'Invalid');
      assert.ok(r.body.details.causes.some((c: { field: string }) => c.field === 'metadata.name'), r.raw);
    }
    const badLabel = await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok', labels: { 'bad key!': 'v' } } }));
    statusOf(badLabel, 422, 'Invalid');
  });

  test('stale resourceVersion is 409 Conflict and unknown objects 404', async () => {
    const cur = await req('GET', `${cms}/keep`);
    const body = { ...cur.body, data: { x: '2' } };
    const ok = await req('PUT', `${cms}/keep`, JSON.stringify(body));
    assert.equal(ok.code, 200, ok.raw);
    const stale = await req('PUT', `${cms}/keep`, JSON.stringify({ ...cur.body, data: { x: '3' } }));
    statusOf(stale, 409, 'Conflict');
    statusOf(await req('GET', `${cms}/missing`), 404, 'NotFound');
    statusOf(await req('POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' } })), 409, 'AlreadyExists');
    statusOf(await req('POST', '/api/v1/namespaces/nope/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })), 404, 'NotFound');
    statusOf(await req('GET', '/apis/nope.example.com/v1/things'), 404, 'NotFound');
  });

  test('oversized bodies are 413 and deep nesting is 400', async () => {
    const huge = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { x: 'a'.repeat(4 * 1024 * 1024) } });
    statusOf(await req('POST', cms, huge), 413, 'RequestEntityTooLarge');
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const r = await req('POST', cms, deep);
    assert.ok(r.code === 400 || r.code === 413, r.raw.slice(0, 200));
    const deepYaml = 'a:\n' + Array.from({ length: 2000 }, (_, i) => ' '.repeat(i + 1) + 'b:').join('\n');
    const y = await req('POST', cms, deepYaml, 'application/yaml');
    assert.ok(y.code === 400 || y.code === 413, y.raw.slice(0, 200));
    const aliases = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + Array.from({ length: 10 }, (_, i) => `l${i + 1}: &l${i + 1} [*${i === 0 ? 'a' : 'l' + i},*${i === 0 ? 'a' : 'l' + i},*${i === 0 ? 'a' : 'l' + i},*${i === 0 ? 'a' : 'l' + i}]`).join('\n');
    const bomb = await req('POST', cms, aliases, 'application/yaml');
    assert.equal(bomb.code, 400, bomb.raw.slice(0, 200));
  });

  test('bad query parameters are 400', async () => {
    statusOf(await req('GET', `${cms}?labelSelector=a%20in%20(`), 400, 'BadRequest');
    statusOf(await req('GET', `${cms}?fieldSelector=spec.nope%3Dx`), 400, 'BadRequest');
    statusOf(await req('GET', `${cms}?limit=abc`), 400, 'BadRequest');
    statusOf(await req('GET', `${cms}?resourceVersion=abc`), 400, 'BadRequest');
    statusOf(await req('POST', `${cms}?dryRun=Some`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dr' } })), 400, 'BadRequest');
    statusOf(await req('GET', `${cms}?limit=1&continue=not-a-token`), 400, 'BadRequest');
  });

  test('strict field validation rejects unknown fields (Warn is covered in api-semantics)', async () => {
    const obj = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fv' }, data: {}, bogus: 1 });
    const strict = await req('POST', `${cms}?fieldValidation=Strict`, obj);
    statusOf(strict, 400, 'BadRequest');
    assert.match(strict.body.message, /unknown field "bogus"/);
    // Ignore (and Warn) store the object without the fields its type lacks, as upstream's decoder
    assert.equal((await req('POST', `${cms}?fieldValidation=Ignore`, obj)).code, 201);
    const stored = await req('GET', `${cms}/fv`);
    assert.equal(stored.body.bogus, undefined, 'an unknown field is never stored');
    assert.deepEqual(stored.body.data ?? {}, {});
    assert.equal((await req('DELETE', `${cms}/fv`)).code, 200);
  });

  test('after all of it the store is unchanged and readable', async () => {
    const list = await req('GET', cms);
    assert.equal(list.code, 200);
    // kube-root-ca.crt is the root CA publisher's, in every namespace
    const names = list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).filter((n: string) => n !== 'kube-root-ca.crt');
    assert.deepEqual(names, ['keep']);
    assert.equal(list.body.items[0].data.x, '2');
    assert.match(k(s, ['get', 'cm', 'keep', '-o', 'jsonpath={.data.x}']), /^2$/);
  });
});
