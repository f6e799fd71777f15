// Decoding the Kubernetes protobuf wire format that client-go's typed clients
// send (kubectl create/delete, client libraries): the "k8s\0" magic, a
// runtime.Unknown envelope naming apiVersion/kind, and the object's message,
// turned into the same JSON the object would have on the JSON wire.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiError, errors } from '../errors.js';

/** n: JSON name, t: type, r: repeated, map: key type, i: inlined Go struct, o: omitempty non-pointer scalar (zero means absent) */
type Field = { n: string; t: string; r?: 1; map?: string; i?: 1; o?: 1 };
type Schema = Record<string, Record<string, Field>>;

let schema: Schema | undefined;
function messages(): Schema {
  if (!schema) {
    // next to this file in the source tree; dist/ reads the source copy
    let file = fileURLToPath(new URL('./proto-schema.json', import.meta.url));
    if (!existsSync(file)) file = file.replace(/\/dist\/src\//, '/src/');
    schema = JSON.parse(readFileSync(file, 'utf8')) as Schema;
  }
  return schema;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const MAX_DEPTH = 100;

const GROUP_PACKAGES: Record<string, string> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  autoscaling: 'autoscaling',
  policy: 'policy',
  'coordination.k8s.io': 'coordination',
  'discovery.k8s.io': 'discovery',
  'events.k8s.io': 'events',
  'networking.k8s.io': 'networking',
  'rbac.authorization.k8s.io': 'rbac',
  'scheduling.k8s.io': 'scheduling',
  'storage.k8s.io': 'storage',
  'authorization.k8s.io': 'authorization',
  'authentication.k8s.io': 'authentication',
};

export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw errors.badRequest('protobuf: unexpected end of varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw errors.badRequest('protobuf: varint too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (len < 0 || this.pos + len > this.end) throw errors.badRequest('protobuf: length out of range');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw errors.badRequest(`protobuf: unsupported wire type ${wire}`);
    if (this.pos > this.end) throw errors.badRequest('protobuf: truncated field');
  }
}

function toNumber(v: bigint, type: string): number {
  if (type === 'int32' && v > 0x7fffffffn) return Number(BigInt.asIntN(32, v));
  if (type === 'int64') return Number(BigInt.asIntN(64, v));
  return Number(v);
}

function scalar(r: Reader, wire: number, type: string): unknown {
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'double': {
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 'float': {
      const v = r.buf.readFloatLE(r.pos);
      r.pos += 4;
      return v;
    }
    default:
      if (wire !== 0) throw errors.badRequest(`protobuf: wire type ${wire} for ${type}`);
      return toNumber(r.varint(), type);
  }
}

function isScalar(type: string): boolean {
  return !type.includes('.');
}

function timeString(msg: Record<string, unknown>, micro: boolean): string | undefined {
  const seconds = Number(msg.seconds ?? 0);
  const nanos = Number(msg.nanos ?? 0);
  if (!seconds && !nanos) return undefined;
  const iso = new Date(seconds * 1000).toISOString();
  return micro ? iso.replace(/\.\d{3}Z$/, `.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`) : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** Special upstream types whose JSON form is not their message shape. */
function special(type: string, msg: Record<string, unknown>, raw: Buffer): { value: unknown } | undefined {
  switch (type) {
    case `${META}.Time`:
      return { value: timeString(msg, false) };
    case `${META}.MicroTime`:
      return { value: timeString(msg, true) };
    case `${META}.Duration`:
      return { value: `${Number(msg.duration ?? 0) / 1e9}s` };
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return { value: Number(msg.type ?? 0) === 1 ? (msg.strVal ?? '') : (msg.intVal ?? 0) };
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { value: msg.string ?? '0' };
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case `${META}.FieldsV1`: {
      const b64 = (msg.raw ?? msg.Raw) as string | undefined;
      if (!b64) return { value: {} };
      try {
        return { value: JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) };
      } catch {
        throw errors.badRequest(`protobuf: ${type} does not hold JSON`);
      }
    }
  }
  void raw;
  return undefined;
}


function decodeMessage(buf: Buffer, type: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw errors.badRequest(`the body of the request exceeds the maximum nesting depth of ${MAX_DEPTH}`);
  const fields = messages()[type];
  if (!fields) throw errors.badRequest(`protobuf: unknown message type ${type}`);
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    const num = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    const f = fields[String(num)];
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (f.map) {
      const entry = new Reader(r.bytes());
      let key: unknown = '';
      let value: unknown = isScalar(f.t) ? (f.t === 'string' || f.t === 'bytes' ? '' : 0) : {};
      while (entry.pos < entry.end) {
        const et = entry.varint();
        const en = Number(et >> 3n);
        const ew = Number(et & 7n);
        if (en === 1) key = scalar(entry, ew, f.map);
        else if (en === 2) {
          if (isScalar(f.t)) value = scalar(entry, ew, f.t);
          else {
            // map values are messages too: a ResourceList's Quantity must come out as its string
            const raw = entry.bytes();
            const msg = decodeMessage(raw, f.t, depth + 1) as Record<string, unknown>;
            const sp = special(f.t, msg, raw);
            value = sp ? sp.value : msg;
          }
        }
        else entry.skip(ew);
      }
      const m = (out[f.n] ??= {}) as Record<string, unknown>;
      m[String(key)] = value;
      continue;
    }
    let value: unknown;
    if (isScalar(f.t)) {
      if (f.r && wire === 2 && f.t !== 'string' && f.t !== 'bytes') {
        // packed repeated scalars
        const packed = new Reader(r.bytes());
        const list = (out[f.n] ??= []) as unknown[];
        while (packed.pos < packed.end) list.push(scalar(packed, 0, f.t));
        continue;
      }
      value = scalar(r, wire, f.t);
      // gogo writes non-pointer scalars even at zero; Go's JSON leaves omitempty ones out
      if (f.o && (value === 0 || value === false || value === 0n)) continue;
    } else {
      const raw = r.bytes();
      const msg = decodeMessage(raw, f.t, depth + 1) as Record<string, unknown>;
      const sp = special(f.t, msg, raw);
      value = sp ? sp.value : msg;
      // a Go struct embedded inline (a Volume's source, a Probe's handler, an IngressRule's http): its fields go in this object
      if (!sp && f.i) {
        Object.assign(out, msg);
        continue;
      }
    }
    if (f.r) ((out[f.n] ??= []) as unknown[]).push(value);
    else if (value !== undefined && value !== '') out[f.n] = value;
  }
  return out;
}

/** Decodes a protobuf request body into the object's JSON form, with apiVersion and kind. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  try {
    return decodeEnvelope(body);
  } catch (e) {
    // anything a malformed body makes the decoder trip over is the client's error
    if (e instanceof ApiError) throw e;
    throw errors.badRequest(`protobuf: malformed body: ${(e as Error).message}`);
  }
}

function decodeEnvelope(body: Buffer): Record<string, unknown> {
  if (!isProtobuf(body)) throw errors.badRequest('protobuf: missing the k8s\\0 prefix');
  const unknown = decodeMessage(body.subarray(4), 'k8s.io.apimachinery.pkg.runtime.Unknown', 0) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string; contentEncoding?: string };
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  if (!kind) throw errors.badRequest('protobuf: the envelope names no kind');
  if (unknown.contentEncoding) throw errors.badRequest(`protobuf: content encoding ${unknown.contentEncoding} is not supported`);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = GROUP_PACKAGES[group];
  const candidates = [pkg ? `k8s.io.api.${pkg}.${version}.${kind}` : '', `${META}.${kind}`];
  const type = candidates.find((c) => c && messages()[c]);
  if (!type) throw errors.badRequest(`protobuf: no known message for ${apiVersion} ${kind}; send JSON instead`);
  const raw = unknown.raw ? Buffer.from(unknown.raw, 'base64') : Buffer.alloc(0);
  const obj = decodeMessage(raw, type, 0) as Record<string, unknown>;
  return { apiVersion, kind, ...obj };
}
