// `skiff image export`: one tar that is both a docker-save archive
// (manifest.json, for `docker load`) and an OCI image layout (oci-layout,
// index.json, blobs/sha256), as Docker 25+ writes it.
import { REF_NAME, MEDIA_INDEX, MEDIA_MANIFEST } from './oci-types.js';
import { familiarName } from './reference.js';
import type { LayoutStore, StoredImage } from './store.js';
import { TarWriter } from './tar-writer.js';

export function exportImages(store: LayoutStore, images: { image: StoredImage; name?: string }[], file: string): void {
  const tar = new TarWriter(file);
  const written = new Set<string>();
  tar.header({ name: 'blobs/', type: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 });
  tar.header({ name: 'blobs/sha256/', type: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 });
  const blob = (digest: string): string => {
    const name = `blobs/sha256/${digest.slice(7)}`;
    if (!written.has(digest)) {
      tar.addFileFrom(name, store.blobPath(digest));
      written.add(digest);
    }
    return name;
  };
  const dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const index = { schemaVersion: 2, mediaType: MEDIA_INDEX, manifests: [] as object[] };
  for (const { image, name } of images) {
    const layers = image.manifest.layers.map((l) => blob(l.digest));
    const config = blob(image.manifest.config.digest);
    blob(image.digest);
    dockerManifest.push({ Config: config, RepoTags: name ? [familiarName(name)] : [], Layers: layers });
    index.manifests.push({ mediaType: MEDIA_MANIFEST, digest: image.digest, size: store.getBlob(image.digest).length, ...(name ? { annotations: { [REF_NAME]: name, 'io.containerd.image.name': name } } : {}) });
  }
  tar.addBuffer('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  tar.addBuffer('index.json', Buffer.from(JSON.stringify(index)));
  tar.addBuffer('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
  tar.finish();
}
