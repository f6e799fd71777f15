// Service account tokens for projected volumes, as upstream's kubelet token
// manager keeps them: requested through the TokenRequest API with the node's own
// credentials, bound to the pod, cached per pod, account, audience and lifetime,
// and renewed once 80% of the lifetime has passed or the token is a day old. A
// renewal that fails keeps the old token while it is still valid.
import type { KubeObject } from '../api/object.js';
import { MissingVolumeSource } from './volumes.js';

type Obj = Record<string, any>;

/** What the TokenRequest API answered: the token and when it expires. */
export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
}

/** POSTs a TokenRequest for a service account (namespace, name). */
export type TokenRequester = (namespace: string, serviceAccount: string, request: Obj) => Promise<IssuedToken>;

const MAX_TTL_MS = 24 * 3600_000;
const CLEANUP_EVERY_MS = 60_000;

interface Cached {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

export class ServiceAccountTokenManager {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private lastCleanup = 0;

  constructor(
    private readonly request: TokenRequester,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token for a pod's serviceAccountToken projection; MissingVolumeSource when none can be had. */
  async token(pod: KubeObject, projection: Obj): Promise<string> {
    const ns = pod.metadata.namespace!;
    const sa = ((pod.spec as Obj | undefined)?.serviceAccountName as string | undefined) || 'default';
    const expirationSeconds = (projection.expirationSeconds as number | undefined) ?? 3600;
    const audience = (projection.audience as string | undefined) ?? '';
    const key = JSON.stringify([ns, sa, audience, expirationSeconds, pod.metadata.name, pod.metadata.uid]);
    this.cleanup();
    const have = this.cache.get(key);
    if (have && !this.needsRefresh(have)) return have.token;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetch(key, ns, sa, pod, audience, expirationSeconds, have).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async fetch(key: string, ns: string, sa: string, pod: KubeObject, audience: string, expirationSeconds: number, have: Cached | undefined): Promise<string> {
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(audience ? { audiences: [audience] } : {}),
        expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    };
    let issued: IssuedToken;
    try {
      issued = await this.request(ns, sa, body);
    } catch (e) {
      // upstream: a failed renewal is not fatal while the old token still works
      if (have && have.expiresAt > this.now()) return have.token;
      throw new MissingVolumeSource(`failed to fetch token: ${(e as Error).message}`);
    }
    const expiresAt = Date.parse(issued.expirationTimestamp);
    if (!issued.token || !Number.isFinite(expiresAt)) throw new MissingVolumeSource('failed to fetch token: the TokenRequest answer has no token');
    this.cache.set(key, { token: issued.token, issuedAt: expiresAt - expirationSeconds * 1000, expiresAt });
    return issued.token;
  }

  private needsRefresh(c: Cached): boolean {
    const now = this.now();
    if (now > c.issuedAt + MAX_TTL_MS) return true;
    return now > c.expiresAt - (c.expiresAt - c.issuedAt) * 0.2;
  }

  /** Tokens of pods long gone (expired, never asked for again) are dropped now and then. */
  private cleanup(): void {
    const now = this.now();
    if (now - this.lastCleanup < CLEANUP_EVERY_MS) return;
    this.lastCleanup = now;
    for (const [k, c] of this.cache) if (c.expiresAt < now) this.cache.delete(k);
  }
}
