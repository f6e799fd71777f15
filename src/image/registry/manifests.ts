// The manifest kinds a registry may answer with, and which one skiff runs: an
// OCI image manifest or Docker schema 2 manifest as is; from an OCI index or
// a Docker manifest list, the entry for linux and this node's architecture.
import { DOCKER_MANIFEST, MEDIA_INDEX, MEDIA_MANIFEST, type Descriptor } from '../oci-types.js';

export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

/** What we ask for, images before lists, as Docker does. */
export const MANIFEST_ACCEPT = [MEDIA_MANIFEST, DOCKER_MANIFEST, MEDIA_INDEX, DOCKER_MANIFEST_LIST].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type PlatformDescriptor = Descriptor & { platform?: Platform };

export class ManifestError extends Error {}

/** The node's platform in OCI words (Node's x64 is amd64). */
export function nodePlatform(): Platform {
  // process.arch, not an import of node:process: its ES facade reads every property of process,
  // loading process.report and others into the agent for nothing
  const arch = process.arch;
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: names[arch] ?? arch, ...(arch === 'arm64' ? { variant: 'v8' } : {}) };
}

export type ManifestKind = 'image' | 'index';

/** Whether a document is an image manifest or a list of them; schema 1 and unknown kinds are refused. */
export function manifestKind(mediaType: string | undefined, doc: { manifests?: unknown; layers?: unknown; schemaVersion?: number }): ManifestKind {
  const mt = (mediaType ?? '').split(';')[0].trim();
  if (DOCKER_SCHEMA1.includes(mt) || doc.schemaVersion === 1) throw new ManifestError('Docker image manifest schema 1 is not supported; push the image again with a current client');
  if (mt === MEDIA_INDEX || mt === DOCKER_MANIFEST_LIST) return 'index';
  if (mt === MEDIA_MANIFEST || mt === DOCKER_MANIFEST) return 'image';
  // a generic content type: decide by shape, as the OCI spec allows mediaType to be absent
  if (Array.isArray(doc.manifests)) return 'index';
  if (Array.isArray(doc.layers)) return 'image';
  throw new ManifestError(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
}

/** The index entry for want (linux/amd64 by default of the node); a variant only narrows when given. */
export function pickPlatform(manifests: PlatformDescriptor[], want: Platform = nodePlatform()): PlatformDescriptor {
  const fits = manifests.filter((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
  const exact = want.variant ? fits.find((m) => m.platform?.variant === want.variant) : undefined;
  const pick = exact ?? fits.find((m) => !m.platform?.variant) ?? fits[0];
  if (!pick) {
    const offered = manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : 'unknown')).join(', ');
    throw new ManifestError(`no matching manifest for ${want.os}/${want.architecture} in the manifest list entries (${offered || 'none'})`);
  }
  return pick;
}
