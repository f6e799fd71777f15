// SPDY/3 header blocks: a count and length-prefixed name/value pairs, sent
// through one zlib stream per direction for the whole connection, primed with
// the spec's dictionary and sync-flushed after every block.
//
// Node's zlib has no synchronous streaming interface, and frames must be read
// and written in order, so each block is (de)compressed on its own as a raw
// deflate whose preset dictionary is the stream's last 32 KiB of plain text:
// exactly the window the peer's inflater (or deflater) holds at that point, so
// the bytes are the same continuous zlib stream the peer expects.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';

// The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1):
// length-prefixed common header words followed by common value text.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

/** zlib's window: what a back reference can reach, so all the history a block needs */
const WINDOW = 32 * 1024;

export type SpdyHeaders = Record<string, string>;

export class SpdyError extends Error {}

export function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const DICTIONARY_ID = adler32(SPDY3_DICTIONARY);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function serializeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts = [u32(entries.length)];
  for (const [k, v] of entries) {
    const kb = Buffer.from(k.toLowerCase());
    const vb = Buffer.from(v);
    parts.push(u32(kb.length), kb, u32(vb.length), vb);
  }
  return Buffer.concat(parts);
}

/** Names are lower-cased; a repeated name's values are NUL-joined on the wire and kept so here. */
export function parseHeaderBlock(plain: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  if (plain.length < 4) throw new SpdyError('header block too short');
  const count = plain.readUInt32BE(0);
  let off = 4;
  const take = (): string => {
    if (off + 4 > plain.length) throw new SpdyError('header block truncated');
    const len = plain.readUInt32BE(off);
    off += 4;
    if (off + len > plain.length) throw new SpdyError('header block truncated');
    const s = plain.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = take();
    headers[name.toLowerCase()] = take();
  }
  return headers;
}

/** The last WINDOW bytes of what went through the zlib stream so far. */
function slide(history: Buffer, plain: Buffer): Buffer {
  const all = Buffer.concat([history, plain]);
  return all.length > WINDOW ? Buffer.from(all.subarray(all.length - WINDOW)) : all;
}

/** Reads the peer's header blocks, one zlib stream across the connection. */
export class HeaderDecoder {
  private history: Buffer = SPDY3_DICTIONARY;
  private started = false;

  decode(block: Buffer): SpdyHeaders {
    let body = block;
    if (!this.started) {
      // CMF (deflate, window), FLG with FDICT set, then the dictionary's Adler-32
      if (block.length < 6 || (block[0] & 0x0f) !== 8 || ((block[0] << 8) | block[1]) % 31 !== 0 || (block[1] & 0x20) === 0) throw new SpdyError('header block does not start a zlib stream with a dictionary');
      if (block.readUInt32BE(2) !== DICTIONARY_ID) throw new SpdyError('header block uses another dictionary than SPDY/3');
      body = block.subarray(6);
      this.started = true;
    }
    let plain: Buffer;
    try {
      plain = inflateRawSync(body, { dictionary: this.history, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new SpdyError(`header block does not inflate: ${(e as Error).message}`);
    }
    this.history = slide(this.history, plain);
    return parseHeaderBlock(plain);
  }
}

/** Writes our header blocks as one compressed zlib stream naming the SPDY/3 dictionary. */
export class HeaderEncoder {
  private history: Buffer = SPDY3_DICTIONARY;
  private started = false;

  encode(headers: SpdyHeaders): Buffer {
    const plain = serializeHeaderBlock(headers);
    // ends with a sync flush's empty stored block: inflaters (Go's among them) hand out what they hold there
    const body = deflateRawSync(plain, { dictionary: this.history, finishFlush: constants.Z_SYNC_FLUSH, level: constants.Z_DEFAULT_COMPRESSION });
    this.history = slide(this.history, plain);
    if (this.started) return body;
    this.started = true;
    // CMF 0x78 (deflate, 32K window), FLG 0xbb: FDICT, default level, header a multiple of 31
    return Buffer.concat([Buffer.from([0x78, 0xbb]), u32(DICTIONARY_ID), body]);
  }
}
