// Image references as Docker and the kubelet read them: a bare "busybox" is
// docker.io/library/busybox:latest; a digest pins the manifest.
export interface ImageRef {
  /** registry/repository, e.g. docker.io/library/busybox */
  repository: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_REGISTRY = 'docker.io';

export class InvalidReference extends Error {}

export function parseReference(ref: string): ImageRef {
  const s = ref.trim();
  if (!s || /\s/.test(s)) throw new InvalidReference(`invalid reference format: ${JSON.stringify(ref)}`);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new InvalidReference(`invalid digest in reference ${JSON.stringify(ref)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidReference(`invalid tag in reference ${JSON.stringify(ref)}`);
  }
  if (!/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/.test(rest)) {
    throw new InvalidReference(`invalid reference format: ${JSON.stringify(ref)}`);
  }
  const parts = rest.split('/');
  // the first part is a registry when it looks like a host (a dot, a port, or localhost)
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  // Docker Hub's other spelling and its official images: docker.io/busybox is docker.io/library/busybox
  const registry = hasRegistry ? (parts[0] === 'index.docker.io' ? DEFAULT_REGISTRY : parts[0]) : DEFAULT_REGISTRY;
  const path = hasRegistry ? parts.slice(1) : parts;
  if (registry === DEFAULT_REGISTRY && path.length === 1) path.unshift('library');
  const repository = `${registry}/${path.join('/')}`;
  if (!tag && !digest) tag = 'latest';
  return { repository, tag, digest };
}

/** The fully qualified name the store keys tags by: docker.io/library/busybox:latest */
export function normalizeReference(ref: string): string {
  const r = parseReference(ref);
  return `${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** The short name people type: busybox:latest, example.com/app:1 */
export function familiarName(normalized: string): string {
  return normalized.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}
