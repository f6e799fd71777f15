// Unpacks each layer once into a directory named for its diffID, shared by every
// image and container that uses it (they are overlayfs read-only lowers). OCI
// whiteouts become what overlayfs reads: ".wh.NAME" a 0/0 character device,
// ".wh..wh..opq" the trusted.overlay.opaque xattr on its directory.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LayoutStore, StoredImage } from './store.js';

const run = promisify(execFile);

export function layerDir(store: LayoutStore, diffID: string): string {
  return join(store.root, 'layers', diffID.replace(/^sha256:/, ''));
}

/** Turns the OCI whiteout files of an unpacked layer into overlayfs whiteouts. */
export async function convertWhiteouts(dir: string): Promise<void> {
  const found: { kind: 'file' | 'opaque'; dir: string; name: string }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === '.wh..wh..opq') found.push({ kind: 'opaque', dir: d, name });
      else if (name.startsWith('.wh.')) found.push({ kind: 'file', dir: d, name });
      else if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  for (const w of found) {
    unlinkSync(join(w.dir, w.name));
    if (w.kind === 'opaque') {
      await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', w.dir]);
    } else {
      const target = join(w.dir, w.name.slice(4));
      rmSync(target, { recursive: true, force: true });
      await run('mknod', [target, 'c', '0', '0']);
    }
  }
}

/** Extracts a tar (plain or gzip) into dir as root, keeping owners and modes. */
export async function extractTar(archive: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-x', '-f', archive, '-C', dir, '--numeric-owner', '--same-owner', '-p', '--delay-directory-restore'], { maxBuffer: 16 << 20 }).catch(async (e: Error & { stderr?: string }) => {
    // hard links to files of lower layers cannot be made here; anything else is fatal
    throw new Error(`unpacking ${archive}: ${(e.stderr ?? e.message).trim().split('\n').slice(0, 3).join('; ')}`);
  });
}

const inflight = new Map<string, Promise<string>>();

/** The directory holding the layer's files, unpacking it first if needed. */
export function ensureLayer(store: LayoutStore, blobDigest: string, diffID: string): Promise<string> {
  const dest = layerDir(store, diffID);
  if (existsSync(dest)) return Promise.resolve(dest);
  let p = inflight.get(dest);
  if (!p) {
    p = (async () => {
      const tmp = store.tempPath('layer');
      try {
        await extractTar(store.blobPath(blobDigest), tmp);
        await convertWhiteouts(tmp);
        mkdirSync(join(store.root, 'layers'), { recursive: true });
        try {
          renameSync(tmp, dest);
        } catch (e) {
          // another process unpacked it first: theirs is as good as ours
          if (!existsSync(dest)) throw e;
        }
        return dest;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
        inflight.delete(dest);
      }
    })();
    inflight.set(dest, p);
  }
  return p;
}

/** The image's layers as overlayfs lowers, topmost first (lowerdir order). */
export async function imageLowers(store: LayoutStore, image: StoredImage): Promise<string[]> {
  const diffIDs = image.config.rootfs.diff_ids;
  if (diffIDs.length !== image.manifest.layers.length) throw new Error(`image ${image.digest}: ${image.manifest.layers.length} layers but ${diffIDs.length} diff_ids`);
  const dirs = await Promise.all(image.manifest.layers.map((l, i) => ensureLayer(store, l.digest, diffIDs[i])));
  if (dirs.length === 0) {
    // overlayfs needs a lower even for an image with no layers (FROM scratch)
    const empty = join(store.root, 'layers', 'empty');
    mkdirSync(empty, { recursive: true });
    return [empty];
  }
  return dirs.reverse();
}
