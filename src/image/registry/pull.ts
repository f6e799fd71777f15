// `docker pull` into the node's store: resolve the manifest (through an index
// to this platform's image), fetch the config and the layers the store lacks,
// each streamed to a scratch file and checked against its digest and size,
// then store the manifest's own bytes so the image keeps the registry's digest.
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { sha256, type LayoutStore } from '../store.js';
import { normalizeReference } from '../reference.js';
import type { Descriptor, ImageConfig, Manifest } from '../oci-types.js';
import { credentialsFor, type KeyedCredentials } from './credentials.js';
import { manifestKind, MANIFEST_ACCEPT, pickPlatform, type Platform, type PlatformDescriptor } from './manifests.js';
import { eachLimited, shortId, type ProgressSink } from './progress.js';
import { RegistryClient, type ClientOptions } from './registry-client.js';
import { responseError, RegistryError } from './registry-errors.js';
import { locateImage, type ImageLocation } from './registry-name.js';
import { readBody } from './registry-transport.js';

export interface RegistryOptions extends Omit<ClientOptions, 'credentials'> {
  /** every known credential; those keyed to the image's registry are tried in turn */
  credentials?: KeyedCredentials[];
}

export interface PullOptions extends RegistryOptions {
  platform?: Platform;
  onProgress?: ProgressSink;
}

export interface PullResult {
  /** the fully qualified name the image is stored under */
  name: string;
  /** the image manifest's digest */
  digest: string;
  /** config and layers, compressed, as the manifest gives them */
  size: number;
  /** bytes fetched now (blobs already stored are not fetched again) */
  downloaded: number;
}

const SUPPORTED_LAYERS = /(tar|tar\+gzip|tar\.gzip)$/;

/** Tries each credential that fits the registry (or none); the first that is not refused wins. */
export async function withCredentials<T>(loc: { registry: string; path: string }, opts: RegistryOptions, fn: (client: RegistryClient) => Promise<T>): Promise<T> {
  const fitting = credentialsFor(opts.credentials ?? [], loc.registry, loc.path);
  const attempts = fitting.length ? fitting : [undefined];
  let last: unknown;
  for (const credentials of attempts) {
    try {
      return await fn(new RegistryClient(loc.registry, { ...opts, credentials }));
    } catch (e) {
      if (!(e instanceof RegistryError && e.unauthorized)) throw e;
      last = e;
    }
  }
  throw last;
}

async function fetchManifest(client: RegistryClient, loc: ImageLocation, reference: string): Promise<{ raw: Buffer; mediaType: string; digest: string }> {
  const path = `/v2/${loc.path}/manifests/${reference}`;
  const res = await client.send({ method: 'GET', path, scope: `repository:${loc.path}:pull`, headers: { accept: MANIFEST_ACCEPT } });
  const raw = await readBody(res, 4 << 20);
  const what = `${loc.registry}/${loc.path}:${reference}`;
  if (res.status !== 200) throw responseError(res.status, raw, `manifest for ${what}`);
  const digest = sha256(raw);
  // a manifest asked for by digest must be exactly those bytes; a tag's answer must match what the registry says it is
  if (reference.startsWith('sha256:') && digest !== reference) throw new RegistryError(`manifest for ${what}: the registry sent content with digest ${digest}`, res.status);
  const said = res.headers['docker-content-digest'];
  if (typeof said === 'string' && said.startsWith('sha256:') && said !== digest) throw new RegistryError(`manifest for ${what}: Docker-Content-Digest ${said} does not match the content (${digest})`, res.status);
  return { raw, mediaType: String(res.headers['content-type'] ?? ''), digest };
}

/** Streams one blob into the store, verifying its size and digest before it lands; undefined when it was there already. */
async function fetchBlob(client: RegistryClient, store: LayoutStore, loc: ImageLocation, d: Descriptor, progress?: ProgressSink): Promise<number | undefined> {
  const id = shortId(d.digest);
  if (store.hasBlob(d.digest)) {
    progress?.({ id, digest: d.digest, status: 'Already exists', current: d.size, total: d.size });
    return undefined;
  }
  const res = await client.send({ method: 'GET', path: `/v2/${loc.path}/blobs/${d.digest}`, scope: `repository:${loc.path}:pull` });
  if (res.status !== 200) throw responseError(res.status, await readBody(res), `blob ${d.digest} of ${loc.registry}/${loc.path}`);
  const tmp = store.tempPath('pull');
  const hash = createHash('sha256');
  let got = 0;
  let lastReport = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      got += chunk.length;
      hash.update(chunk);
      if (got > d.size) return done(new RegistryError(`blob ${d.digest}: the registry sent more than the ${d.size} bytes the manifest gives`, 200));
      const now = Date.now();
      if (progress && now - lastReport >= 200) {
        lastReport = now;
        progress({ id, digest: d.digest, status: 'Downloading', current: got, total: d.size });
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(res.stream, meter, createWriteStream(tmp, { mode: 0o644 }));
    if (got !== d.size) throw new RegistryError(`blob ${d.digest}: got ${got} bytes, the manifest gives ${d.size}`, 200);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== d.digest) throw new RegistryError(`blob ${d.digest}: the content's digest is ${actual}`, 200);
    store.putBlobFile(tmp, d.digest);
  } finally {
    rmSync(tmp, { force: true });
  }
  progress?.({ id, digest: d.digest, status: 'Download complete', current: got, total: d.size });
  return got;
}

export async function pullFromRegistry(store: LayoutStore, name: string, opts: PullOptions = {}): Promise<PullResult> {
  const loc = locateImage(name);
  const stored = normalizeReference(name);
  return withCredentials(loc, opts, async (client) => {
    let m = await fetchManifest(client, loc, loc.reference);
    let doc = JSON.parse(m.raw.toString('utf8')) as Manifest & { manifests?: PlatformDescriptor[] };
    if (manifestKind(m.mediaType || doc.mediaType, doc) === 'index') {
      const entry = pickPlatform(doc.manifests ?? [], opts.platform);
      m = await fetchManifest(client, loc, entry.digest);
      doc = JSON.parse(m.raw.toString('utf8')) as typeof doc;
      if (manifestKind(m.mediaType || doc.mediaType, doc) !== 'image') throw new RegistryError(`${name}: the index entry ${entry.digest} is not an image manifest`, 200);
    }
    if (!doc.config?.digest || !Array.isArray(doc.layers)) throw new RegistryError(`${name}: the manifest has no config or layers`, 200);
    for (const l of doc.layers) {
      if (!SUPPORTED_LAYERS.test(l.mediaType ?? '')) throw new RegistryError(`${name}: layer ${l.digest} has media type ${l.mediaType}, which skiff cannot unpack`, 200);
    }
    let downloaded = (await fetchBlob(client, store, loc, doc.config)) ?? 0;
    const config = JSON.parse(store.getBlob(doc.config.digest).toString('utf8')) as ImageConfig;
    if (config.rootfs?.diff_ids?.length !== doc.layers.length) throw new RegistryError(`${name}: the config lists ${config.rootfs?.diff_ids?.length ?? 0} layers, the manifest ${doc.layers.length}`, 200);
    for (const l of doc.layers) opts.onProgress?.({ id: shortId(l.digest), digest: l.digest, status: 'Waiting', current: 0, total: l.size });
    await eachLimited(doc.layers, 3, async (l) => {
      const got = await fetchBlob(client, store, loc, l, opts.onProgress);
      if (got === undefined) return;
      downloaded += got;
      opts.onProgress?.({ id: shortId(l.digest), digest: l.digest, status: 'Pull complete', current: l.size, total: l.size });
    });
    const digest = store.putBlob(m.raw);
    store.tag(stored, digest);
    const size = doc.config.size + doc.layers.reduce((n, l) => n + l.size, 0);
    return { name: stored, digest, size, downloaded };
  });
}
