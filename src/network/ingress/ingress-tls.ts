// TLS for the built-in ingress, as ingress-nginx serves it: the certificate for a
// connection's server name (SNI) comes from a spec.tls entry of a class-skiff
// Ingress naming that host, read from its kubernetes.io/tls Secret in the
// Ingress's namespace; a name no entry covers, or a Secret that is missing or
// broken, gets a self-signed default ("Kubernetes Ingress Controller Fake
// Certificate", ingress-nginx's name for it).
import { createSecureContext, type SecureContext } from 'node:tls';
import type { KubeObject } from '../../api/object.js';
import { selfSigned } from '../../apiserver/pki/self-signed.js';
import { hostMatches } from './ingress-routes.js';

type Obj = Record<string, any>;

export interface TlsSecretRef {
  namespace: string;
  secretName: string;
}

/**
 * The spec.tls entry covering host: an exact host beats a wildcard one, then the
 * oldest Ingress wins, so every node picks the same certificate.
 */
export function tlsSecretFor(ingresses: KubeObject[], rawHost: string | undefined): TlsSecretRef | undefined {
  const host = (rawHost ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!host) return undefined;
  let best: { ref: TlsSecretRef; score: number; age: string } | undefined;
  for (const ing of ingresses) {
    const age = String(ing.metadata.creationTimestamp ?? '');
    for (const t of (((ing.spec ?? {}) as Obj).tls ?? []) as Obj[]) {
      if (!t.secretName) continue;
      for (const h of (t.hosts ?? []) as string[]) {
        // an entry's hosts name where the certificate applies; "no host" is not a match-all here
        const score = h ? hostMatches(h.toLowerCase(), host) : 0;
        if (score < 2) continue;
        if (!best || score > best.score || (score === best.score && age < best.age)) best = { ref: { namespace: ing.metadata.namespace!, secretName: t.secretName as string }, score, age };
      }
    }
  }
  return best?.ref;
}

/** ingress-nginx redirects plain HTTP to HTTPS for a host with TLS unless the Ingress says not to. */
export function redirectsToHttps(ingresses: KubeObject[], rawHost: string | undefined): boolean {
  const host = (rawHost ?? '').replace(/:\d+$/, '').toLowerCase();
  return ingresses.some((ing) => {
    if (ing.metadata.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'] === 'false') return false;
    return tlsSecretFor([ing], host) !== undefined;
  });
}

/** The certificate and key of a kubernetes.io/tls Secret, or why it cannot be used. */
export function keyPairOf(secret: KubeObject): { cert: string; key: string } | string {
  const data = ((secret as Obj).data ?? {}) as Record<string, string>;
  if ((secret as Obj).type !== 'kubernetes.io/tls') return `secret ${secret.metadata.namespace}/${secret.metadata.name} is of type ${(secret as Obj).type ?? 'Opaque'}, not kubernetes.io/tls`;
  if (!data['tls.crt'] || !data['tls.key']) return `secret ${secret.metadata.namespace}/${secret.metadata.name} has no tls.crt or tls.key`;
  return { cert: Buffer.from(data['tls.crt'], 'base64').toString('utf8'), key: Buffer.from(data['tls.key'], 'base64').toString('utf8') };
}

interface Cached {
  context?: SecureContext;
  resourceVersion?: string;
  fetchedAt: number;
}

/**
 * Secure contexts by Secret, fetched when a handshake first needs them and
 * re-read after refreshMs, so a renewed certificate is served without a restart
 * and the node never keeps every Secret of the cluster in memory.
 */
export class IngressCertificates {
  private fallback?: SecureContext;
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<SecureContext | undefined>>();

  constructor(
    private readonly getSecret: (namespace: string, name: string) => Promise<KubeObject>,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly refreshMs = 10_000,
  ) {}

  /** The default certificate (made once per process). */
  async defaultKeyPair(): Promise<{ cert: string; key: string }> {
    const ca = await selfSigned('Kubernetes Ingress Controller Fake Certificate', new Date(), 365);
    this.fallback = createSecureContext({ cert: ca.certPem, key: ca.keyPem });
    return { cert: ca.certPem, key: ca.keyPem };
  }

  get defaultContext(): SecureContext | undefined {
    return this.fallback;
  }

  /** The context for a Secret, or the default one when it cannot be had. */
  async contextFor(ref: TlsSecretRef, now = Date.now()): Promise<SecureContext | undefined> {
    const key = `${ref.namespace}/${ref.secretName}`;
    const hit = this.cache.get(key);
    if (hit && now - hit.fetchedAt < this.refreshMs) return hit.context ?? this.fallback;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.load(key, ref, hit, now).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async load(key: string, ref: TlsSecretRef, hit: Cached | undefined, now: number): Promise<SecureContext | undefined> {
    try {
      const secret = await this.getSecret(ref.namespace, ref.secretName);
      if (hit?.context && hit.resourceVersion === secret.metadata.resourceVersion) {
        hit.fetchedAt = now;
        return hit.context;
      }
      const pair = keyPairOf(secret);
      if (typeof pair === 'string') throw new Error(pair);
      const context = createSecureContext(pair);
      this.cache.set(key, { context, resourceVersion: secret.metadata.resourceVersion, fetchedAt: now });
      return context;
    } catch (e) {
      // a missing or broken Secret serves the default certificate, as ingress-nginx does
      if (!hit || hit.context) this.log('ingress TLS secret not usable; serving the default certificate', { secret: key, error: String(e) });
      this.cache.set(key, { fetchedAt: now });
      return this.fallback;
    }
  }
}
