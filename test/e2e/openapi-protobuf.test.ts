// kubectl and the protobuf OpenAPI v2 document: kubectl cannot have the server
// validate the items of a kind: List (no v1/List in OpenAPI v3), so it validates
// them itself from /openapi/v2, which it asks for only as protobuf.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parse as parseYaml } from 'yaml';
import { k, kubectl, startServer, type ServerHandle } from './harness.js';

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

function list(items: string[]): string {
  return `apiVersion: v1\nkind: List\nitems:\n${items.map((i) => i.replace(/^/gm, '  ').replace(/^ /, '-')).join('\n')}\n`;
}

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}}
data: {a: "1"}`;

const deployment = (name: string, extraSpec = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:${extraSpec}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: c
        image: busybox:1.36
        resources: {limits: {cpu: 1, memory: 64Mi}}
        ports: [{containerPort: 80, name: http}]
        readinessProbe: {httpGet: {path: /, port: http}}`;

interface Reply {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(s: ServerHandle, path: string, headers: Record<string, string>): Promise<Reply> {
  const cfg = parseYaml(readFileSync(s.kubeconfig, 'utf8'));
  const user = cfg.users[0].user;
  const opts = {
    host: '127.0.0.1',
    port: s.port,
    path,
    headers,
    ca: Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64'),
    cert: Buffer.from(user['client-certificate-data'], 'base64'),
    key: Buffer.from(user['client-key-data'], 'base64'),
  };
  return new Promise((resolve, reject) => {
    https
      .get(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ code: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on('error', reject);
  });
}

describe('OpenAPI v2 as protobuf', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer();
  });
  after(() => s?.cleanup());

  test('/openapi/v2 negotiates JSON and protobuf under one etag', async () => {
    const pb = await get(s, '/openapi/v2', { accept: PROTOBUF });
    assert.equal(pb.code, 200);
    assert.equal(
      pb.headers['content-type'],
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
    assert.equal(
      pb.body.subarray(0, 5).toString('latin1'),
      '\x0a\x032.0',
      'swagger = 1 comes first',
    );
    const json = await get(s, '/openapi/v2', { accept: 'application/json' });
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(json.body.toString()).swagger, '2.0');
    assert.ok(pb.headers.etag && pb.headers.etag === json.headers.etag);
    assert.equal(pb.headers.vary, 'Accept');
    // the older spelling, q-values and wildcards, as upstream's handler takes them
    const old = await get(s, '/openapi/v2', {
      accept: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    });
    assert.equal(
      old.headers['content-type'],
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
    const weighted = await get(s, '/openapi/v2', { accept: `application/json;q=0.5, ${PROTOBUF}` });
    assert.equal(
      weighted.headers['content-type'],
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
    assert.equal(
      (await get(s, '/openapi/v2', { accept: '*/*' })).headers['content-type'],
      'application/json',
    );
    const cached = await get(s, '/openapi/v2', {
      accept: PROTOBUF,
      'if-none-match': pb.headers.etag as string,
    });
    assert.equal(cached.code, 304);
    assert.equal(cached.body.length, 0);
    const refused = await get(s, '/openapi/v2', { accept: 'application/xml' });
    assert.equal(refused.code, 406);
    assert.equal(JSON.parse(refused.body.toString()).reason, 'NotAcceptable');
    // v3 stays JSON: kubectl asks v3 for JSON only
    assert.equal(
      (
        await get(s, '/openapi/v3/api/v1', {
          accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf',
        })
      ).code,
      406,
    );
  });

  test('kubectl apply of a kind: List creates its items', () => {
    const out = k(
      s,
      ['-n', 'default', 'apply', '-f', '-'],
      list([configMap('listed'), deployment('listed-web', '\n  replicas: 1')]),
    );
    assert.match(out, /^configmap\/listed created$/m);
    assert.match(out, /^deployment\.apps\/listed-web created$/m);
    assert.equal(k(s, ['-n', 'default', 'get', 'cm', 'listed', '-o', 'jsonpath={.data.a}']), '1');
    assert.equal(
      k(s, ['-n', 'default', 'get', 'deploy', 'listed-web', '-o', 'jsonpath={.spec.replicas}']),
      '1',
    );
    // applying the same List again finds nothing to change
    const again = k(
      s,
      ['-n', 'default', 'apply', '-f', '-'],
      list([configMap('listed'), deployment('listed-web', '\n  replicas: 1')]),
    );
    assert.match(again, /^configmap\/listed unchanged$/m);
  });

  test('kubectl validates the items itself, as against a real cluster', () => {
    const bad = list([
      configMap('never'),
      deployment('bad-web', '\n  foo: bar\n  replicas: "two"'),
    ]);
    for (const validate of [[], ['--validate=strict'], ['--validate=true']]) {
      const r = kubectl(s, ['-n', 'default', 'apply', '-f', '-', ...validate], bad);
      assert.equal(r.code, 1, r.stdout);
      // kube-openapi's client-side messages; nothing is sent, so nothing is created
      assert.match(r.stderr, /^error: error validating "STDIN": error validating data: \[/m);
      assert.match(
        r.stderr,
        /ValidationError\(Deployment\.spec\): unknown field "foo" in V1DeploymentSpec/,
      );
      assert.match(
        r.stderr,
        /ValidationError\(Deployment\.spec\.replicas\): invalid type for V1DeploymentSpec\.replicas: got "string", expected "integer"/,
      );
      assert.match(r.stderr, /turn validation off with --validate=false/);
    }
    assert.equal(
      kubectl(s, ['-n', 'default', 'get', 'cm', 'never']).code,
      1,
      'no item of a rejected List was applied',
    );
    const missing = kubectl(
      s,
      ['-n', 'default', 'apply', '-f', '-'],
      list([
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: busybox`,
      ]),
    );
    assert.match(
      missing.stderr,
      /ValidationError\(Pod\.spec\.containers\[0\]\): missing required field "name" in V1Container/,
    );
  });

  test('--validate=false sends the items without client-side validation', () => {
    const r = kubectl(
      s,
      ['-n', 'default', 'apply', '--validate=false', '-f', '-'],
      list([configMap('loose'), deployment('loose-web', '\n  foo: bar')]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deployment\.apps\/loose-web created$/m);
    assert.equal(
      k(s, ['-n', 'default', 'get', 'cm', 'loose', '-o', 'name']).trim(),
      'configmap/loose',
    );
  });

  test('kubectl explain reads v3, and v2 when asked for it', () => {
    assert.match(k(s, ['explain', 'deployments.spec.replicas']), /FIELD: replicas <integer>/);
    const v2 = k(s, ['explain', 'deployments.spec.replicas', '--output=plaintext-openapiv2']);
    assert.match(v2, /^KIND:\s+Deployment$/m);
    assert.match(v2, /^FIELD:\s+replicas <integer>$/m);
    assert.match(v2, /Number of desired pods/);
    const resources = k(s, [
      'explain',
      'pods.spec.containers.resources',
      '--output=plaintext-openapiv2',
    ]);
    assert.match(resources, /^ {3}limits\t<map\[string\]string>$/m);
  });
});
