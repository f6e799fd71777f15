// Writes tar archives (POSIX ustar with pax records for long names) straight to
// a file while hashing them, so a layer's digest is known when it is written.
// From an overlay upper directory it writes OCI whiteouts: a 0/0 character
// device becomes ".wh.NAME", an opaque directory gets ".wh..wh..opq".
import { createHash, type Hash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

export interface EntryHeader {
  name: string;
  type: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

export interface DirectoryOptions {
  /** prefix inside the archive ("" for the root) */
  prefix?: string;
  /** convert overlayfs whiteouts to OCI ones */
  overlayWhiteouts?: boolean;
  /** directories (relative, no leading slash) that are opaque in the overlay upper */
  opaqueDirs?: Set<string>;
  /** skip these relative paths (and everything below them) */
  skip?: (rel: string) => boolean;
}

export class TarWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private written = 0;
  private readonly links = new Map<string, string>();

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o644);
  }

  private write(buf: Buffer): void {
    writeSync(this.fd, buf);
    this.hash.update(buf);
    this.written += buf.length;
  }

  private pad(size: number): void {
    const rest = size % BLOCK;
    if (rest) this.write(Buffer.alloc(BLOCK - rest));
  }

  private rawHeader(h: EntryHeader, name: string, linkname: string): Buffer {
    const b = Buffer.alloc(BLOCK);
    b.write(name, 0, 100);
    b.write(octal(h.mode & 0o7777, 8), 100);
    b.write(octal(h.uid, 8), 108);
    b.write(octal(h.gid, 8), 116);
    b.write(octal(h.size, 12), 124);
    b.write(octal(Math.floor(h.mtime), 12), 136);
    b.write('        ', 148);
    b.write(h.type, 156);
    b.write(linkname, 157, 100);
    b.write('ustar\0', 257);
    b.write('00', 263);
    b.write(octal(h.devmajor ?? 0, 8), 329);
    b.write(octal(h.devminor ?? 0, 8), 337);
    let sum = 0;
    for (const byte of b) sum += byte;
    b.write(octal(sum, 7) + ' ', 148);
    return b;
  }

  header(h: EntryHeader): void {
    const records: string[] = [];
    if (Buffer.byteLength(h.name) > 100) records.push(paxRecord('path', h.name));
    if (h.linkname && Buffer.byteLength(h.linkname) > 100) records.push(paxRecord('linkpath', h.linkname));
    if (h.uid > 0o7777777) records.push(paxRecord('uid', String(h.uid)));
    if (h.gid > 0o7777777) records.push(paxRecord('gid', String(h.gid)));
    if (records.length) {
      const body = Buffer.from(records.join(''));
      this.write(this.rawHeader({ name: 'PaxHeader', type: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: h.mtime }, 'PaxHeader', ''));
      this.write(body);
      this.pad(body.length);
    }
    const short = (s: string) => (Buffer.byteLength(s) > 100 ? Buffer.from(s).subarray(0, 100).toString('latin1') : s);
    this.write(this.rawHeader({ ...h, uid: Math.min(h.uid, 0o7777777), gid: Math.min(h.gid, 0o7777777) }, short(h.name), short(h.linkname ?? '')));
  }

  addBuffer(name: string, data: Buffer, mode = 0o644, mtime = 0): void {
    this.header({ name, type: '0', mode, uid: 0, gid: 0, size: data.length, mtime });
    this.write(data);
    this.pad(data.length);
  }

  addFileFrom(name: string, src: string, st: Stats = lstatSync(src)): void {
    this.header({ name, type: '0', mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtime: st.mtimeMs / 1000 });
    this.copyContent(src, st.size);
  }

  private copyContent(src: string, size: number): void {
    const fd = openSync(src, 'r');
    const buf = Buffer.allocUnsafe(1 << 20);
    let left = size;
    try {
      while (left > 0) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
        if (n === 0) break;
        this.write(buf.subarray(0, n));
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    // a file that shrank while being read is padded to the size already promised
    if (left > 0) this.write(Buffer.alloc(left));
    this.pad(size);
  }

  /** Adds a directory tree in sorted order, so equal trees give equal archives. */
  addDirectory(dir: string, opts: DirectoryOptions = {}): void {
    const prefix = opts.prefix ? opts.prefix.replace(/\/?$/, '/') : '';
    const walk = (abs: string, rel: string): void => {
      for (const name of readdirSync(abs).sort()) {
        const childRel = rel ? `${rel}/${name}` : name;
        if (opts.skip?.(childRel)) continue;
        const childAbs = join(abs, name);
        const st = lstatSync(childAbs);
        const arcName = prefix + childRel;
        const base = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000, size: 0 };
        if (st.isDirectory()) {
          this.header({ ...base, name: `${arcName}/`, type: '5' });
          if (opts.overlayWhiteouts && opts.opaqueDirs?.has(childRel)) this.header({ ...base, name: `${arcName}/.wh..wh..opq`, type: '0', mode: 0o644 });
          walk(childAbs, childRel);
        } else if (st.isCharacterDevice() && opts.overlayWhiteouts && st.rdev === 0) {
          this.header({ ...base, name: `${prefix}${rel ? `${rel}/` : ''}.wh.${name}`, type: '0', mode: 0o644 });
        } else if (st.isFile()) {
          const key = `${st.dev}:${st.ino}`;
          const first = st.nlink > 1 ? this.links.get(key) : undefined;
          if (first) {
            this.header({ ...base, name: arcName, type: '1', linkname: first });
            continue;
          }
          if (st.nlink > 1) this.links.set(key, arcName);
          this.header({ ...base, name: arcName, type: '0', size: st.size });
          this.copyContent(childAbs, st.size);
        } else if (st.isSymbolicLink()) {
          this.header({ ...base, name: arcName, type: '2', linkname: readlinkSync(childAbs) });
        } else if (st.isCharacterDevice() || st.isBlockDevice()) {
          const major = Math.floor(st.rdev / 256) & 0xfff;
          const minor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
          this.header({ ...base, name: arcName, type: st.isCharacterDevice() ? '3' : '4', devmajor: major, devminor: minor });
        } else if (st.isFIFO()) {
          this.header({ ...base, name: arcName, type: '6' });
        }
        // sockets are not archived, as with docker
      }
    };
    walk(dir, '');
  }

  /** Ends the archive; returns its digest and size. */
  finish(): { digest: string; size: number } {
    this.write(Buffer.alloc(BLOCK * 2));
    closeSync(this.fd);
    return { digest: `sha256:${this.hash.digest('hex')}`, size: this.written };
  }
}
