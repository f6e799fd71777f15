// The /openapi/v2 document as protobuf: gnostic's openapi.v2.Document, which is
// what kube-apiserver serves for Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf
// and the only form kubectl asks for (client-side validation of what the server
// cannot validate for it, such as the items of a kind: List; explain's v2 output).
// It is encoded from the JSON document itself, so both always say the same.
// Field numbers are those of gnostic-models' openapiv2/OpenAPIv2.proto. Only
// the keys our generator can produce are mapped; anything else throws, so a
// generator change that outgrows this shows in the unit test, not in kubectl.
import { stringify as toYaml } from 'yaml';
import {
  boolField,
  doubleField,
  int64Field,
  messageField,
  stringField,
} from '../protobuf/writer.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, what: string): never {
  throw new Error(`openapi v2 protobuf: ${where}: ${what}`);
}

function str(where: string, v: unknown): string {
  if (typeof v !== 'string') fail(where, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function strings(where: string, v: unknown): string[] {
  if (!Array.isArray(v)) fail(where, 'expected an array of strings');
  return v.map((s, i) => str(`${where}[${i}]`, s));
}

/** openapi.v2.Any: values travel as YAML text (field 2), as gnostic writes them. */
function anyMessage(v: unknown): Buffer[] {
  // YAML 1.1 quoting: kubectl parses these with go-yaml v2, where `on` or `y` would be booleans
  return [stringField(2, toYaml(v, { version: '1.1' }))];
}

/** Vendor extensions (x-*) as repeated NamedAny at `field`. */
function extension(field: number, name: string, v: unknown): Buffer {
  return messageField(field, [stringField(1, name), messageField(2, anyMessage(v))]);
}

type SchemaKey =
  | { f: number; t: 'string' | 'bool' | 'int64' | 'double' | 'any' | 'strings' | 'anys' }
  | { f: number; t: 'custom'; enc: (where: string, v: unknown) => Buffer[] };

const SCHEMA_KEYS: Record<string, SchemaKey> = {
  $ref: { f: 1, t: 'string' },
  format: { f: 2, t: 'string' },
  title: { f: 3, t: 'string' },
  description: { f: 4, t: 'string' },
  default: { f: 5, t: 'any' },
  multipleOf: { f: 6, t: 'double' },
  maximum: { f: 7, t: 'double' },
  exclusiveMaximum: { f: 8, t: 'bool' },
  minimum: { f: 9, t: 'double' },
  exclusiveMinimum: { f: 10, t: 'bool' },
  maxLength: { f: 11, t: 'int64' },
  minLength: { f: 12, t: 'int64' },
  pattern: { f: 13, t: 'string' },
  maxItems: { f: 14, t: 'int64' },
  minItems: { f: 15, t: 'int64' },
  uniqueItems: { f: 16, t: 'bool' },
  maxProperties: { f: 17, t: 'int64' },
  minProperties: { f: 18, t: 'int64' },
  required: { f: 19, t: 'strings' },
  enum: { f: 20, t: 'anys' },
  // AdditionalPropertiesItem: oneof schema = 1 | boolean = 2
  additionalProperties: {
    f: 21,
    t: 'custom',
    enc: (where, v) => [
      typeof v === 'boolean' ? boolField(2, v) : messageField(1, schema(where, v)),
    ],
  },
  // TypeItem: repeated string value = 1
  type: {
    f: 22,
    t: 'custom',
    enc: (where, v) =>
      (Array.isArray(v) ? strings(where, v) : [str(where, v)]).map((s) => stringField(1, s)),
  },
  // ItemsItem: repeated Schema schema = 1
  items: {
    f: 23,
    t: 'custom',
    enc: (where, v) =>
      (Array.isArray(v) ? v : [v]).map((s, i) => messageField(1, schema(`${where}[${i}]`, s))),
  },
  // Properties: repeated NamedSchema additional_properties = 1
  properties: { f: 25, t: 'custom', enc: (where, v) => namedSchemas(where, v) },
  discriminator: { f: 26, t: 'string' },
  readOnly: { f: 27, t: 'bool' },
  example: { f: 30, t: 'any' },
};
const SCHEMA_ALL_OF = 24;
const SCHEMA_VENDOR_EXTENSION = 31;

function schema(where: string, s: unknown): Buffer[] {
  if (!isObject(s)) fail(where, 'a schema must be an object');
  const out: Buffer[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    const at = `${where}.${k}`;
    if (k.startsWith('x-')) {
      out.push(extension(SCHEMA_VENDOR_EXTENSION, k, v));
      continue;
    }
    if (k === 'allOf') {
      if (!Array.isArray(v)) fail(at, 'expected an array of schemas');
      v.forEach((sub, i) => out.push(messageField(SCHEMA_ALL_OF, schema(`${at}[${i}]`, sub))));
      continue;
    }
    const spec = SCHEMA_KEYS[k];
    if (!spec) fail(at, 'key not mapped to openapi.v2.Schema');
    switch (spec.t) {
      case 'string':
        // proto3 leaves empty strings off the wire, as Go's marshaller would
        if (str(at, v) !== '') out.push(stringField(spec.f, v as string));
        break;
      case 'bool':
        if (typeof v !== 'boolean') fail(at, 'expected a boolean');
        if (v) out.push(boolField(spec.f, true));
        break;
      case 'int64':
        if (typeof v !== 'number') fail(at, 'expected an integer');
        if (v !== 0) out.push(int64Field(spec.f, v));
        break;
      case 'double':
        if (typeof v !== 'number') fail(at, 'expected a number');
        if (v !== 0) out.push(doubleField(spec.f, v));
        break;
      case 'any':
        out.push(messageField(spec.f, anyMessage(v)));
        break;
      case 'strings':
        for (const x of strings(at, v)) out.push(stringField(spec.f, x));
        break;
      case 'anys':
        if (!Array.isArray(v)) fail(at, 'expected an array');
        for (const x of v) out.push(messageField(spec.f, anyMessage(x)));
        break;
      case 'custom':
        out.push(messageField(spec.f, spec.enc(at, v)));
        break;
    }
  }
  return out;
}

/** A JSON object of schemas as repeated NamedSchema (name = 1, value = 2) at field 1, in document order. */
function namedSchemas(where: string, v: unknown): Buffer[] {
  if (!isObject(v)) fail(where, 'expected an object of schemas');
  return Object.entries(v).map(([name, s]) =>
    messageField(1, [stringField(1, name), messageField(2, schema(`${where}.${name}`, s))]),
  );
}

function info(where: string, v: unknown): Buffer[] {
  if (!isObject(v)) fail(where, 'expected an object');
  const fields: Record<string, number> = {
    title: 1,
    version: 2,
    description: 3,
    termsOfService: 4,
  };
  const out: Buffer[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('x-')) out.push(extension(7, k, x));
    else if (fields[k]) out.push(stringField(fields[k], str(`${where}.${k}`, x)));
    else fail(`${where}.${k}`, 'key not mapped to openapi.v2.Info');
  }
  return out;
}

function paths(where: string, v: unknown): Buffer[] {
  if (!isObject(v)) fail(where, 'expected an object');
  const out: Buffer[] = [];
  for (const [k, x] of Object.entries(v)) {
    // kubectl reads only definitions from v2 (its paths come from v3), so operations are not mapped
    if (k.startsWith('x-')) out.push(extension(1, k, x));
    else fail(`${where}.${k}`, 'path items are not mapped to openapi.v2.PathItem');
  }
  return out;
}

/** Encodes a Swagger 2.0 JSON document as openapi.v2.Document bytes. */
export function encodeOpenApiV2(doc: unknown): Buffer {
  if (!isObject(doc)) fail('$', 'the document must be an object');
  const out: Buffer[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const at = `$.${k}`;
    if (k.startsWith('x-')) out.push(extension(16, k, v));
    else if (k === 'swagger') out.push(stringField(1, str(at, v)));
    else if (k === 'info') out.push(messageField(2, info(at, v)));
    else if (k === 'host') out.push(stringField(3, str(at, v)));
    else if (k === 'basePath') out.push(stringField(4, str(at, v)));
    else if (k === 'schemes' || k === 'consumes' || k === 'produces') {
      const f = { schemes: 5, consumes: 6, produces: 7 }[k];
      for (const s of strings(at, v)) out.push(stringField(f, s));
    } else if (k === 'paths') out.push(messageField(8, paths(at, v)));
    // Definitions: repeated NamedSchema additional_properties = 1
    else if (k === 'definitions') out.push(messageField(9, namedSchemas(at, v)));
    else fail(at, 'key not mapped to openapi.v2.Document');
  }
  return Buffer.concat(out);
}
