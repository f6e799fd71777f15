// `skiff image import`: docker-save archives (manifest.json with Config,
// RepoTags, Layers) and OCI image layout archives (oci-layout, index.json),
// gzip or plain; each image lands in the store under its names.
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { extractTar } from './layer-unpack.js';
import { DOCKER_LAYER_GZIP, MEDIA_CONFIG, MEDIA_INDEX, MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, MEDIA_MANIFEST, REF_NAME, type Descriptor, type ImageConfig, type Index, type Manifest } from './oci-types.js';
import { fileDigest, type LayoutStore } from './store.js';

export class ImportError extends Error {}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function inside(root: string, rel: string): string {
  const p = normalize(join(root, rel));
  if (!p.startsWith(root + '/')) throw new ImportError(`archive entry ${JSON.stringify(rel)} points outside the archive`);
  if (!existsSync(p)) throw new ImportError(`archive lacks ${rel}`);
  return p;
}

function isGzip(path: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** Imports every image in the archive; returns the names (or digests) imported. */
export async function importArchive(store: LayoutStore, archive: string, extraTag?: string): Promise<string[]> {
  if (!existsSync(archive)) throw new ImportError(`${archive}: no such file`);
  const dir = store.tempPath('import');
  try {
    await extractTar(archive, dir);
    if (existsSync(join(dir, 'manifest.json'))) return importDockerSave(store, dir, extraTag);
    if (existsSync(join(dir, 'index.json'))) return importOciLayout(store, dir, extraTag);
    throw new ImportError(`${archive} is neither a docker-save archive (manifest.json) nor an OCI image layout (index.json)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function importDockerSave(store: LayoutStore, dir: string, extraTag?: string): string[] {
  const entries = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DockerSaveEntry[];
  if (!Array.isArray(entries)) throw new ImportError('manifest.json is not a list of images');
  const out: string[] = [];
  for (const e of entries) {
    const configBytes = readFileSync(inside(dir, e.Config));
    const config = JSON.parse(configBytes.toString()) as ImageConfig;
    const layers: Descriptor[] = e.Layers.map((rel) => {
      const p = inside(dir, rel);
      const size = statSync(p).size;
      const digest = store.putBlobFile(p, fileDigest(p));
      return { mediaType: isGzip(store.blobPath(digest)) ? MEDIA_LAYER_GZIP : MEDIA_LAYER_TAR, digest, size };
    });
    if (config.rootfs?.diff_ids?.length !== layers.length) throw new ImportError(`${e.Config}: config lists ${config.rootfs?.diff_ids?.length ?? 0} diff_ids for ${layers.length} layers`);
    const cfg: Descriptor = { mediaType: MEDIA_CONFIG, digest: store.putBlob(configBytes), size: configBytes.length };
    const digest = store.putManifest({ schemaVersion: 2, mediaType: MEDIA_MANIFEST, config: cfg, layers });
    const names = [...(e.RepoTags ?? []), ...(extraTag ? [extraTag] : [])];
    for (const n of names) store.tag(n, digest);
    out.push(...(names.length ? names : [digest]));
  }
  return out;
}

function importOciLayout(store: LayoutStore, dir: string, extraTag?: string): string[] {
  const blob = (d: string) => inside(dir, join('blobs', ...d.split(':')));
  const copy = (d: Descriptor): void => {
    if (fileDigest(blob(d.digest)) !== d.digest) throw new ImportError(`blob ${d.digest} does not match its digest`);
    store.putBlobFile(blob(d.digest), d.digest);
  };
  const out: string[] = [];
  const visit = (desc: Descriptor, name: string | undefined): void => {
    const raw = readFileSync(blob(desc.digest));
    const doc = JSON.parse(raw.toString()) as Manifest & Index;
    if (desc.mediaType === MEDIA_INDEX || desc.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json' || Array.isArray(doc.manifests)) {
      // a multi-platform index: take linux/amd64 (or the only entry)
      const pick = doc.manifests.find((m) => (m as Descriptor & { platform?: { os: string; architecture: string } }).platform?.architecture === 'amd64') ?? doc.manifests[0];
      if (!pick) throw new ImportError(`index ${desc.digest} has no manifests`);
      visit(pick, name);
      return;
    }
    for (const l of doc.layers) copy(l);
    copy(doc.config);
    const manifest: Manifest = { ...doc, mediaType: doc.mediaType ?? MEDIA_MANIFEST, layers: doc.layers.map((l) => ({ ...l, mediaType: l.mediaType === DOCKER_LAYER_GZIP ? MEDIA_LAYER_GZIP : l.mediaType })) };
    const same = JSON.stringify(manifest) === raw.toString();
    const digest = same ? store.putBlob(raw) : store.putManifest(manifest);
    const names = [...(name ? [name] : []), ...(extraTag ? [extraTag] : [])];
    for (const n of names) store.tag(n, digest);
    out.push(...(names.length ? names : [digest]));
  };
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
  for (const m of index.manifests ?? []) {
    const ref = m.annotations?.[REF_NAME] ?? m.annotations?.['io.containerd.image.name'];
    // a bare tag ("latest") names nothing by itself
    visit(m, ref && /[/:]/.test(ref) ? ref : undefined);
  }
  return out;
}
