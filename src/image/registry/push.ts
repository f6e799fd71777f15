// `docker push` from the node's store: each layer and the config unless the
// registry has it (HEAD), mounted from another repository of the same registry
// when the image has a name there, else uploaded (POST, then one PUT for a
// small blob, or PATCH chunks and a closing PUT ?digest=); the manifest last,
// with its stored bytes, so the registry's digest is the store's.
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import type { LayoutStore } from '../store.js';
import type { Descriptor, Manifest } from '../oci-types.js';
import { MEDIA_MANIFEST } from '../oci-types.js';
import { eachLimited, shortId, type ProgressSink } from './progress.js';
import type { RegistryClient } from './registry-client.js';
import { responseError, RegistryError } from './registry-errors.js';
import { locateImage, splitRepository, type ImageLocation } from './registry-name.js';
import { readBody } from './registry-transport.js';
import { withCredentials, type RegistryOptions } from './pull.js';
import { parseReference } from '../reference.js';

export interface PushOptions extends RegistryOptions {
  /** the stored image to push, when its local name differs from the destination */
  source?: string;
  onProgress?: ProgressSink;
  /** blobs larger than this go up in PATCH chunks of this size (default 16 MiB) */
  chunkSize?: number;
}

export interface PushResult {
  name: string;
  digest: string;
  /** the manifest's length, as `docker push` prints it */
  size: number;
  uploaded: number;
}

export class PushError extends Error {}

const DEFAULT_CHUNK = 16 << 20;

/** Appends the digest to an upload Location that may carry its own query (_state=...). */
function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

function location(client: RegistryClient, res: { headers: Record<string, unknown> }, what: string): string {
  const loc = res.headers.location;
  if (typeof loc !== 'string' || !loc) throw new RegistryError(`${what}: the registry gave no upload Location`, 202);
  return new URL(loc, client.base).toString();
}

/** A stream of the blob's bytes from start to end (exclusive), counting what goes out. */
function blobStream(store: LayoutStore, d: Descriptor, start: number, end: number, onBytes: (n: number) => void) {
  return () =>
    createReadStream(store.blobPath(d.digest), { start, end: end - 1 }).pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          onBytes(chunk.length);
          done(null, chunk);
        },
      }),
    );
}

async function pushBlob(client: RegistryClient, store: LayoutStore, loc: ImageLocation, d: Descriptor, mountFrom: string[], opts: PushOptions): Promise<number> {
  const id = shortId(d.digest);
  const scope = `repository:${loc.path}:pull,push`;
  const report = (status: 'Pushing' | 'Pushed' | 'Layer already exists' | 'Mounted', current: number, from?: string) => opts.onProgress?.({ id, digest: d.digest, status, current, total: d.size, from });
  const head = await client.send({ method: 'HEAD', path: `/v2/${loc.path}/blobs/${d.digest}`, scope });
  head.stream.resume();
  if (head.status === 200) {
    report('Layer already exists', d.size);
    return 0;
  }
  const uploads = `/v2/${loc.path}/blobs/uploads/`;
  let start: { status: number; headers: Record<string, unknown> } | undefined;
  for (const from of mountFrom) {
    // cross-repository mount: 201 means the registry linked it, 202 opens an ordinary upload instead
    const res = await client.send({ method: 'POST', path: `${uploads}?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`, scope: `${scope} repository:${from}:pull`, headers: { 'content-length': '0' } });
    const body = await readBody(res);
    if (res.status === 201) {
      report('Mounted', d.size, from);
      return 0;
    }
    if (res.status !== 202) throw responseError(res.status, body, `mount of ${d.digest} from ${from}`);
    start = res;
    break;
  }
  if (!start) {
    const res = await client.send({ method: 'POST', path: uploads, scope, headers: { 'content-length': '0' } });
    const body = await readBody(res);
    if (res.status !== 202) throw responseError(res.status, body, `upload of ${d.digest} to ${loc.registry}/${loc.path}`);
    start = res;
  }
  let url = location(client, start, `upload of ${d.digest}`);
  let sent = 0;
  let lastReport = 0;
  const onBytes = (n: number) => {
    sent += n;
    const now = Date.now();
    if (now - lastReport >= 200) {
      lastReport = now;
      report('Pushing', sent);
    }
  };
  const chunk = opts.chunkSize ?? DEFAULT_CHUNK;
  let finish: { status: number; body: Buffer };
  if (d.size <= chunk) {
    // monolithic: the whole blob in the closing PUT
    const res = await client.send({ method: 'PUT', path: withDigest(url, d.digest), scope, headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) }, body: blobStream(store, d, 0, d.size, onBytes) });
    finish = { status: res.status, body: await readBody(res) };
  } else {
    for (let off = 0; off < d.size; off += chunk) {
      const end = Math.min(d.size, off + chunk);
      const res = await client.send({ method: 'PATCH', path: url, scope, headers: { 'content-type': 'application/octet-stream', 'content-length': String(end - off), 'content-range': `${off}-${end - 1}` }, body: blobStream(store, d, off, end, onBytes) });
      const body = await readBody(res);
      if (res.status !== 202) throw responseError(res.status, body, `chunk ${off}-${end - 1} of ${d.digest}`);
      url = location(client, res, `chunk of ${d.digest}`);
    }
    const res = await client.send({ method: 'PUT', path: withDigest(url, d.digest), scope, headers: { 'content-length': '0' } });
    finish = { status: res.status, body: await readBody(res) };
  }
  if (finish.status !== 201) throw responseError(finish.status, finish.body, `upload of ${d.digest}`);
  report('Pushed', d.size);
  return d.size;
}

export async function pushToRegistry(store: LayoutStore, name: string, opts: PushOptions = {}): Promise<PushResult> {
  const loc = locateImage(name);
  if (loc.ref.digest) throw new PushError(`cannot push to a digest reference (${name}); give a tag`);
  const source = opts.source ?? name;
  const image = store.image(source);
  if (!image) throw new PushError(`no such image: ${source}`);
  const raw = store.getBlob(image.digest);
  const manifest = JSON.parse(raw.toString('utf8')) as Manifest;
  // other repositories of the same registry that hold this image already: blobs can be mounted from them
  const mountFrom = [...new Set(image.names.map((n) => splitRepository(parseReference(n).repository)).filter((r) => r.registry === loc.registry && r.path !== loc.path).map((r) => r.path))];
  return withCredentials(loc, opts, async (client) => {
    let uploaded = 0;
    for (const l of manifest.layers) opts.onProgress?.({ id: shortId(l.digest), digest: l.digest, status: 'Waiting', current: 0, total: l.size });
    await eachLimited(manifest.layers, 3, async (l) => {
      uploaded += await pushBlob(client, store, loc, l, mountFrom, opts);
    });
    uploaded += await pushBlob(client, store, loc, manifest.config, mountFrom, opts);
    const res = await client.send({
      method: 'PUT',
      path: `/v2/${loc.path}/manifests/${loc.reference}`,
      scope: `repository:${loc.path}:pull,push`,
      headers: { 'content-type': manifest.mediaType ?? MEDIA_MANIFEST, 'content-length': String(raw.length) },
      body: raw,
    });
    const body = await readBody(res);
    if (res.status !== 201) throw responseError(res.status, body, `manifest ${loc.registry}/${loc.path}:${loc.reference}`);
    const said = res.headers['docker-content-digest'];
    if (typeof said === 'string' && said !== image.digest) throw new RegistryError(`the registry stored the manifest as ${said}, not ${image.digest}`, res.status);
    return { name: `${loc.registry}/${loc.path}:${loc.reference}`, digest: image.digest, size: raw.length, uploaded };
  });
}
