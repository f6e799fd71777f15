// Registry credentials from where Docker and Kubernetes keep them: a docker
// config.json ({"auths": {"host": {"auth": base64("user:pass")}}}), the same
// document in a kubernetes.io/dockerconfigjson Secret, or the older
// kubernetes.io/dockercfg form (the auths map alone). Keys may be URLs
// (https://index.docker.io/v1/) or host[/path] prefixes, as upstream's keyring reads them.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from './registry-name.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** an OAuth2 refresh token (docker login with a token service) */
  identityToken?: string;
}

/** A credential for repositories under `prefix` (host[:port][/path]). */
export interface KeyedCredentials extends Credentials {
  prefix: string;
}

export class CredentialsError extends Error {}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** host[:port][/path] without scheme or a trailing /v1/ or /v2/; Docker Hub's spellings become docker.io. */
export function normalizeRegistryKey(key: string): string {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  k = k.replace(/\/v[12]$/, '');
  const slash = k.indexOf('/');
  const host = (slash >= 0 ? k.slice(0, slash) : k).toLowerCase();
  const rest = slash >= 0 ? k.slice(slash) : '';
  const hub = host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com' || host === DOCKER_HUB;
  return `${hub ? DOCKER_HUB : host}${rest}`;
}

function entryCredentials(prefix: string, e: AuthEntry): KeyedCredentials {
  const out: KeyedCredentials = { prefix: normalizeRegistryKey(prefix) };
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) throw new CredentialsError(`the auth of ${prefix} is not base64 of "user:password"`);
    out.username = plain.slice(0, colon);
    out.password = plain.slice(colon + 1);
  } else {
    if (e.username !== undefined) out.username = e.username;
    if (e.password !== undefined) out.password = e.password;
  }
  if (e.identitytoken) out.identityToken = e.identitytoken;
  return out;
}

/** Parses config.json ({auths: {...}}) or a .dockercfg map ({host: {...}}). */
export function parseDockerConfig(text: string, origin = 'docker config'): KeyedCredentials[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CredentialsError(`${origin} is not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new CredentialsError(`${origin} is not a JSON object`);
  const auths = ('auths' in doc ? (doc as { auths: unknown }).auths : doc) as Record<string, AuthEntry> | null;
  if (!auths || typeof auths !== 'object') return [];
  return Object.entries(auths)
    .filter(([, e]) => e && typeof e === 'object')
    .map(([k, e]) => entryCredentials(k, e));
}

/** The user's docker config: $DOCKER_CONFIG/config.json or ~/.docker/config.json, if there is one. */
export function loadDockerConfig(path?: string): KeyedCredentials[] {
  const file = path ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  if (!existsSync(file)) return [];
  return parseDockerConfig(readFileSync(file, 'utf8'), file);
}

type SecretLike = { type?: string; data?: Record<string, string> };

/** Credentials in a kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg Secret. */
export function secretCredentials(secret: SecretLike, name: string): KeyedCredentials[] {
  const data = secret.data ?? {};
  const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  const raw = data[key];
  if (!raw) return [];
  return parseDockerConfig(Buffer.from(raw, 'base64').toString('utf8'), `secret ${name}`);
}

/**
 * The credentials that apply to a repository (registry/path), most specific
 * prefix first, as upstream's keyring orders them; the caller tries them in turn.
 */
export function credentialsFor(all: KeyedCredentials[], registry: string, path: string): Credentials[] {
  const full = `${registry}/${path}`;
  return all
    .filter((c) => c.prefix === registry || full === c.prefix || full.startsWith(`${c.prefix}/`))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}
