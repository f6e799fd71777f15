// The OpenAPI v2 document as gnostic protobuf: the wire primitives against known
// encodings, the field numbers of each mapped key read back with a small decoder
// written here, and the whole served document through a real decoder
// (protoc --decode_raw, from protobuf-compiler, installed by scripts/install-deps.sh).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import {
  boolField,
  doubleField,
  int64Field,
  stringField,
  varint,
} from '../../../src/api/protobuf/writer.js';
import { encodeOpenApiV2 } from '../../../src/api/schema/openapi-v2-protobuf.js';
import { openapiV2, openapiV2Protobuf } from '../../../src/api/schema/openapi.js';

interface Field {
  n: number;
  wire: number;
  int?: bigint;
  bytes?: Buffer;
}

/** Splits one message into its fields (no schema: nested messages stay bytes). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const vint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      assert.ok(pos < buf.length, 'varint runs past the end');
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (pos < buf.length) {
    const k = Number(vint());
    const f: Field = { n: k >> 3, wire: k & 7 };
    if (f.wire === 0) f.int = vint();
    else if (f.wire === 1) f.bytes = buf.subarray(pos, (pos += 8));
    else if (f.wire === 2) {
      const len = Number(vint());
      f.bytes = buf.subarray(pos, (pos += len));
    } else assert.fail(`unexpected wire type ${f.wire}`);
    assert.ok(pos <= buf.length, 'field runs past the end');
    out.push(f);
  }
  return out;
}

const all = (buf: Buffer, n: number) => fields(buf).filter((f) => f.n === n);
const one = (buf: Buffer, n: number): Field => {
  const found = all(buf, n);
  assert.equal(found.length, 1, `field ${n} once`);
  return found[0];
};
const text = (buf: Buffer, n: number) => one(buf, n).bytes!.toString('utf8');
const texts = (buf: Buffer, n: number) => all(buf, n).map((f) => f.bytes!.toString('utf8'));
/** repeated NamedX { name = 1; value = 2 } as a map */
const named = (buf: Buffer, n: number) =>
  new Map(all(buf, n).map((f) => [text(f.bytes!, 1), one(f.bytes!, 2).bytes!]));
/** openapi.v2.Any's YAML (field 2) parsed back */
const anyValue = (buf: Buffer) => parseYaml(text(buf, 2), { version: '1.1' });

describe('protobuf writer', () => {
  test('varints and fields match the protobuf encoding guide', () => {
    assert.deepEqual([...varint(1)], [0x01]);
    assert.deepEqual([...varint(150)], [0x96, 0x01]);
    assert.deepEqual([...varint(300)], [0xac, 0x02]);
    assert.deepEqual([...varint(2 ** 40)], [0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    // negative int64: ten bytes of two's complement
    assert.deepEqual([...varint(-1)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.deepEqual([...int64Field(1, 150)], [0x08, 0x96, 0x01]);
    assert.deepEqual([...stringField(2, 'testing')], [0x12, 0x07, ...Buffer.from('testing')]);
    assert.deepEqual([...boolField(21, false)], [0xa8, 0x01, 0x00]);
    const d = doubleField(7, 1.5);
    assert.equal(d[0], (7 << 3) | 1);
    assert.equal(d.readDoubleLE(1), 1.5);
    assert.throws(() => int64Field(1, 1.5), /int64/);
  });
});

describe('openapi.v2.Document encoding', () => {
  const doc = {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: {},
    definitions: {
      Thing: {
        type: 'object',
        description: 'a thing',
        required: ['spec'],
        properties: {
          spec: {
            $ref: '#/definitions/Spec',
            description: 'its spec',
            'x-kubernetes-patch-strategy': 'merge',
          },
          tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          port: { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
          mode: { type: 'string', enum: ['on', 'off'], default: 'on' },
          size: { type: 'integer', format: 'int64', minimum: 0.5, maxLength: 3, uniqueItems: true },
          closed: { type: 'object', additionalProperties: false },
          raw: { 'x-kubernetes-preserve-unknown-fields': true },
        },
        'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Thing' }],
      },
      Empty: { type: 'object', properties: {} },
    },
  };
  const bytes = encodeOpenApiV2(doc);

  test('document fields: swagger = 1, info = 2, paths = 8, definitions = 9', () => {
    assert.equal(text(bytes, 1), '2.0');
    const info = one(bytes, 2).bytes!;
    assert.equal(text(info, 1), 'Kubernetes');
    assert.equal(text(info, 2), 'v1.32.0');
    assert.equal(one(bytes, 8).bytes!.length, 0, 'paths present and empty');
    const defs = named(one(bytes, 9).bytes!, 1);
    assert.deepEqual([...defs.keys()], ['Thing', 'Empty']);
    // an empty properties object stays present: kubectl tells a kind from a map by it
    assert.equal(one(defs.get('Empty')!, 25).bytes!.length, 0);
  });

  test('schema fields and vendor extensions as YAML', () => {
    const thing = named(one(bytes, 9).bytes!, 1).get('Thing')!;
    assert.deepEqual(texts(one(thing, 22).bytes!, 1), ['object'], 'type = 22 is a TypeItem');
    assert.equal(text(thing, 4), 'a thing');
    assert.deepEqual(texts(thing, 19), ['spec'], 'required = 19');
    const ext = named(thing, 31);
    assert.deepEqual(anyValue(ext.get('x-kubernetes-group-version-kind')!), [
      { group: '', version: 'v1', kind: 'Thing' },
    ]);

    const props = named(one(thing, 25).bytes!, 1);
    const spec = props.get('spec')!;
    assert.equal(text(spec, 1), '#/definitions/Spec', '$ref = 1');
    assert.equal(all(spec, 22).length, 0, 'a reference has no type');
    assert.equal(anyValue(named(spec, 31).get('x-kubernetes-patch-strategy')!), 'merge');

    const items = one(props.get('tags')!, 23).bytes!; // ItemsItem { repeated Schema schema = 1 }
    assert.deepEqual(texts(one(one(items, 1).bytes!, 22).bytes!, 1), ['string']);

    const additional = one(props.get('labels')!, 21).bytes!; // AdditionalPropertiesItem { schema = 1 | boolean = 2 }
    assert.deepEqual(texts(one(one(additional, 1).bytes!, 22).bytes!, 1), ['string']);
    const closed = one(props.get('closed')!, 21).bytes!;
    assert.equal(one(closed, 2).int, 0n, 'additionalProperties: false is sent, not dropped');

    const port = props.get('port')!;
    assert.equal(text(port, 2), 'int-or-string', 'format = 2');
    assert.equal(anyValue(named(port, 31).get('x-kubernetes-int-or-string')!), true);

    const mode = props.get('mode')!;
    // YAML 1.1 would read a bare `on` as true: the strings stay strings for kubectl's go-yaml
    assert.deepEqual(
      all(mode, 20).map((f) => anyValue(f.bytes!)),
      ['on', 'off'],
      'enum = 20',
    );
    assert.equal(anyValue(one(mode, 5).bytes!), 'on', 'default = 5');

    const size = props.get('size')!;
    assert.equal(one(size, 9).bytes!.readDoubleLE(0), 0.5, 'minimum = 9');
    assert.equal(one(size, 11).int, 3n, 'maxLength = 11');
    assert.equal(one(size, 16).int, 1n, 'uniqueItems = 16');
  });

  test('keys the encoder does not map are refused, not dropped', () => {
    assert.throws(
      () => encodeOpenApiV2({ ...doc, securityDefinitions: {} }),
      /securityDefinitions: key not mapped/,
    );
    assert.throws(
      () => encodeOpenApiV2({ swagger: '2.0', definitions: { X: { type: 'object', oneOf: [] } } }),
      /X\.oneOf: key not mapped/,
    );
    assert.throws(
      () => encodeOpenApiV2({ swagger: '2.0', paths: { '/api': {} } }),
      /path items are not mapped/,
    );
  });
});

describe('the served v2 document', () => {
  test('protobuf says what the JSON says, with the same etag', () => {
    const json = JSON.parse(openapiV2().body.toString('utf8'));
    const pb = openapiV2Protobuf();
    assert.equal(pb.etag, openapiV2().etag);
    const defs = named(one(pb.body, 9).bytes!, 1);
    assert.deepEqual([...defs.keys()], Object.keys(json.definitions));
    const cm = defs.get('V1ConfigMap')!;
    assert.deepEqual(
      anyValue(named(cm, 31).get('x-kubernetes-group-version-kind')!),
      json.definitions.V1ConfigMap['x-kubernetes-group-version-kind'],
    );
    assert.deepEqual(
      [...named(one(cm, 25).bytes!, 1).keys()],
      Object.keys(json.definitions.V1ConfigMap.properties),
    );
    const containers = named(one(defs.get('V1PodSpec')!, 25).bytes!, 1).get('containers')!;
    assert.equal(anyValue(named(containers, 31).get('x-kubernetes-patch-merge-key')!), 'name');
    // any-value fields (RawExtension-like, CRD defaults) have no type, so kubectl's
    // client-side validation takes scalars there too, not only maps
    const dflt = named(one(defs.get('V1JSONSchemaProps')!, 25).bytes!, 1).get('default')!;
    assert.equal(all(dflt, 22).length, 0);
    assert.equal(anyValue(named(dflt, 31).get('x-kubernetes-preserve-unknown-fields')!), true);
  });

  test('a real protobuf decoder reads the whole document', () => {
    const r = spawnSync('protoc', ['--decode_raw'], {
      input: openapiV2Protobuf().body,
      maxBuffer: 256 << 20,
      encoding: 'utf8',
    });
    assert.equal(
      r.error,
      undefined,
      'protoc (protobuf-compiler) is installed by scripts/install-deps.sh',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^1: "2\.0"$/m);
    assert.match(r.stdout, /^ {4}1: "V1ConfigMap"$/m, 'definitions > NamedSchema > name');
    assert.match(
      r.stdout,
      /1: "x-kubernetes-group-version-kind"\n\s+2 \{\n\s+2: "- group: \\"\\"\\n {2}version: v1\\n {2}kind: ConfigMap\\n"/,
    );
  });
});
