// Where a repository lives: "docker.io/library/busybox" is served by
// registry-1.docker.io under the path library/busybox, any other first
// component is the registry's own host[:port]. Loopback registries speak plain
// HTTP, as Docker allows them without configuration; others need HTTPS unless
// named with --insecure-registry.
import { parseReference, type ImageRef } from '../reference.js';

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

export interface RegistryRepository {
  /** the registry as references name it (docker.io, localhost:5000) */
  registry: string;
  /** the repository path inside the registry (library/busybox) */
  path: string;
}

export interface ImageLocation extends RegistryRepository {
  /** tag or digest to fetch the manifest by */
  reference: string;
  ref: ImageRef;
}

export function splitRepository(repository: string): RegistryRepository {
  const slash = repository.indexOf('/');
  return { registry: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

/** The registry, repository path and manifest reference of an image name. */
export function locateImage(name: string): ImageLocation {
  const ref = parseReference(name);
  return { ...splitRepository(ref.repository), reference: ref.digest ?? ref.tag ?? 'latest', ref };
}

function hostOf(registry: string): string {
  // [::1]:5000 keeps its brackets in URLs; the bare host decides loopback
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(registry);
  if (m) return m[1];
  return registry.replace(/:\d+$/, '');
}

export function isLoopbackRegistry(registry: string): boolean {
  const host = hostOf(registry);
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface EndpointOptions {
  /** registries (host[:port]) reached over plain HTTP */
  insecureRegistries?: string[];
}

/** The base URL of the registry's API (without /v2/). */
export function registryBaseUrl(registry: string, opts: EndpointOptions = {}): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  const plain = isLoopbackRegistry(registry) || (opts.insecureRegistries ?? []).includes(registry);
  return `${plain ? 'http' : 'https'}://${host}`;
}
