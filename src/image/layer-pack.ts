// Packs a directory into a layer blob in the store (plain tar, so its digest is
// also its diffID) and writes images from layers and a config.
import { rmSync } from 'node:fs';
import { configDescriptor, type LayoutStore } from './store.js';
import { TarWriter, type DirectoryOptions } from './tar-writer.js';
import { MEDIA_LAYER_TAR, MEDIA_MANIFEST, type Descriptor, type ImageConfig, type Manifest } from './oci-types.js';

export interface Layer {
  descriptor: Descriptor;
  diffID: string;
}

export function packLayer(store: LayoutStore, dir: string, opts: DirectoryOptions = {}): Layer {
  const tmp = store.tempPath('pack');
  try {
    const tar = new TarWriter(tmp);
    tar.addDirectory(dir, opts);
    const { digest, size } = tar.finish();
    store.putBlobFile(tmp, digest);
    return { descriptor: { mediaType: MEDIA_LAYER_TAR, digest, size }, diffID: digest };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Stores config and manifest for the layers; tags the result with names; returns the manifest digest. */
export function writeImage(store: LayoutStore, layers: Layer[], config: Omit<ImageConfig, 'rootfs'>, names: string[] = []): string {
  const full: ImageConfig = { ...config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } };
  const manifest: Manifest = { schemaVersion: 2, mediaType: MEDIA_MANIFEST, config: configDescriptor(store, full), layers: layers.map((l) => l.descriptor) };
  const digest = store.putManifest(manifest);
  for (const n of names) store.tag(n, digest);
  return digest;
}
