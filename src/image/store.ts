// The node's image store: an OCI image layout (blobs/sha256/<hex>, index.json,
// oci-layout) whose index entries carry the image's name in the
// org.opencontainers.image.ref.name annotation. Blobs are content addressed and
// written through a temporary file and a rename, so readers never see half a
// blob; index.json changes under a lock file. A registry puller plugs in
// through putBlob/putManifest/tag.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { withLockSync } from './file-lock.js';
import { MEDIA_CONFIG, MEDIA_INDEX, MEDIA_MANIFEST, REF_NAME, type Descriptor, type ImageConfig, type Index, type Manifest } from './oci-types.js';
import { normalizeReference } from './reference.js';

export interface StoredImage {
  /** fully qualified names pointing at this manifest */
  names: string[];
  /** the manifest digest (what status.containerStatuses[].imageID shows) */
  digest: string;
  manifest: Manifest;
  config: ImageConfig;
  /** compressed size of the layers plus config */
  size: number;
}

export interface Store {
  putBlob(data: Buffer): Descriptor['digest'];
  /** moves a finished file into the store (it must hold exactly the bytes of digest, if given) */
  putBlobFile(path: string, digest?: string): string;
  getBlob(digest: string): Buffer;
  hasBlob(digest: string): boolean;
  blobPath(digest: string): string;
  /** stores the manifest (its config and layers must be in the store already) */
  putManifest(manifest: Manifest): string;
  tag(name: string, manifestDigest: string): void;
  untag(name: string): boolean;
  /** the manifest digest a name (or digest reference) points at, if any */
  resolve(ref: string): string | undefined;
  image(ref: string): StoredImage | undefined;
  list(): StoredImage[];
}

export class BlobNotFound extends Error {}

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function hexOf(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new Error(`unsupported digest ${JSON.stringify(digest)}`);
  return m[1];
}

export class LayoutStore implements Store {
  constructor(readonly root: string) {
    mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    if (!existsSync(join(root, 'oci-layout'))) writeFileSync(join(root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (!existsSync(join(root, 'index.json'))) this.atomicWrite(join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_INDEX, manifests: [] }));
  }

  /** a private scratch path on the store's filesystem, so renames into it are atomic */
  tempPath(what: string): string {
    return join(this.root, 'tmp', `${what}-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  withLock<T>(fn: () => T): T {
    return withLockSync(join(this.root, 'lock'), fn);
  }

  private atomicWrite(path: string, data: string | Buffer): void {
    const tmp = this.tempPath('write');
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', hexOf(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  putBlob(data: Buffer): string {
    const digest = sha256(data);
    if (!this.hasBlob(digest)) this.atomicWrite(this.blobPath(digest), data);
    return digest;
  }

  putBlobFile(path: string, digest?: string): string {
    const actual = digest ?? fileDigest(path);
    if (this.hasBlob(actual)) return actual;
    const tmp = this.tempPath('blob');
    // a rename when the file is on the store's filesystem, else a copy
    try {
      renameSync(path, tmp);
    } catch {
      copyFileSync(path, tmp);
    }
    renameSync(tmp, this.blobPath(actual));
    return actual;
  }

  getBlob(digest: string): Buffer {
    try {
      return readFileSync(this.blobPath(digest));
    } catch {
      throw new BlobNotFound(`blob ${digest} is not in the image store`);
    }
  }

  putManifest(manifest: Manifest): string {
    for (const d of [manifest.config, ...manifest.layers]) {
      if (!this.hasBlob(d.digest)) throw new BlobNotFound(`manifest refers to ${d.digest}, which is not in the image store`);
    }
    return this.putBlob(Buffer.from(JSON.stringify(manifest)));
  }

  private readIndex(): Index {
    return JSON.parse(readFileSync(join(this.root, 'index.json'), 'utf8')) as Index;
  }

  tag(name: string, manifestDigest: string): void {
    const ref = normalizeReference(name);
    const size = statSync(this.blobPath(manifestDigest)).size;
    this.withLock(() => {
      const index = this.readIndex();
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== ref);
      index.manifests.push({ mediaType: MEDIA_MANIFEST, digest: manifestDigest, size, annotations: { [REF_NAME]: ref } });
      this.atomicWrite(join(this.root, 'index.json'), JSON.stringify(index, null, 1));
    });
  }

  untag(name: string): boolean {
    const ref = normalizeReference(name);
    return this.withLock(() => {
      const index = this.readIndex();
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== ref);
      if (index.manifests.length === before) return false;
      this.atomicWrite(join(this.root, 'index.json'), JSON.stringify(index, null, 1));
      return true;
    });
  }

  resolve(ref: string): string | undefined {
    if (/^sha256:[0-9a-f]{64}$/.test(ref)) return this.hasBlob(ref) ? ref : undefined;
    const name = normalizeReference(ref);
    const at = name.indexOf('@');
    if (at >= 0) {
      const digest = name.slice(at + 1);
      return this.hasBlob(digest) ? digest : undefined;
    }
    return this.readIndex().manifests.find((m) => m.annotations?.[REF_NAME] === name)?.digest;
  }

  private load(digest: string, names: string[]): StoredImage {
    const manifest = JSON.parse(this.getBlob(digest).toString()) as Manifest;
    const config = JSON.parse(this.getBlob(manifest.config.digest).toString()) as ImageConfig;
    const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    return { names, digest, manifest, config, size };
  }

  image(ref: string): StoredImage | undefined {
    const digest = this.resolve(ref);
    if (!digest) return undefined;
    return this.load(digest, this.namesOf(digest));
  }

  private namesOf(digest: string): string[] {
    return this.readIndex().manifests.filter((m) => m.digest === digest && m.annotations?.[REF_NAME]).map((m) => m.annotations![REF_NAME]);
  }

  list(): StoredImage[] {
    const byDigest = new Map<string, string[]>();
    for (const m of this.readIndex().manifests) {
      const names = byDigest.get(m.digest) ?? [];
      if (m.annotations?.[REF_NAME]) names.push(m.annotations[REF_NAME]);
      byDigest.set(m.digest, names);
    }
    return [...byDigest].map(([d, names]) => this.load(d, names));
  }

  /**
   * Removes blobs no tag reaches (after `image rm`), except those kept alive by keep;
   * with only, just those of them (so blobs of a pull not yet tagged are left alone).
   */
  collectGarbage(keep: Set<string> = new Set(), only?: Set<string>): number {
    return this.withLock(() => {
      const live = new Set(keep);
      for (const m of this.readIndex().manifests) {
        live.add(m.digest);
        if (!this.hasBlob(m.digest)) continue;
        const man = JSON.parse(this.getBlob(m.digest).toString()) as Manifest;
        live.add(man.config.digest);
        for (const l of man.layers) live.add(l.digest);
      }
      let removed = 0;
      for (const hex of readdirSync(join(this.root, 'blobs', 'sha256'))) {
        if (!live.has(`sha256:${hex}`) && (!only || only.has(`sha256:${hex}`))) {
          rmSync(join(this.root, 'blobs', 'sha256', hex), { force: true });
          removed++;
        }
      }
      return removed;
    });
  }
}

export function fileDigest(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${h.digest('hex')}`;
}

/** A config blob for a new image. */
export function configDescriptor(store: Store, config: ImageConfig): Descriptor {
  const data = Buffer.from(JSON.stringify(config));
  return { mediaType: MEDIA_CONFIG, digest: store.putBlob(data), size: data.length };
}
