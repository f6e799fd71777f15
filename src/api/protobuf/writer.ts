// Protobuf wire-format writing, just what skiff serves itself (gnostic's OpenAPI
// v2 document for kubectl): varints, length-delimited fields and fixed64
// doubles. A message is built as a list of encoded fields and framed once.
// Proto3 leaves scalars at their default out of the wire; callers skip those.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

export function varint(value: number | bigint): Buffer {
  if (typeof value === 'number' && value >= 0 && value < 0x80) return Buffer.from([value]);
  // negative int64 values go out as their 64-bit two's complement (ten bytes)
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

function key(field: number, wire: number): Buffer {
  return varint((field << 3) | wire);
}

export function bytesField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([key(field, WIRE_LEN), varint(payload.length), payload]);
}

export function stringField(field: number, value: string): Buffer {
  return bytesField(field, Buffer.from(value, 'utf8'));
}

/** An embedded message from its already-encoded fields; present even when empty. */
export function messageField(field: number, fields: Buffer[]): Buffer {
  return fields.length === 1
    ? bytesField(field, fields[0])
    : bytesField(field, Buffer.concat(fields));
}

export function boolField(field: number, value: boolean): Buffer {
  return Buffer.concat([key(field, WIRE_VARINT), varint(value ? 1 : 0)]);
}

export function int64Field(field: number, value: number): Buffer {
  if (!Number.isInteger(value)) throw new Error(`protobuf: int64 field ${field} given ${value}`);
  return Buffer.concat([key(field, WIRE_VARINT), varint(value)]);
}

export function doubleField(field: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([key(field, WIRE_FIXED64), b]);
}
