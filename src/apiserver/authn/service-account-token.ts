// Service account tokens as upstream issues and checks them (pkg/serviceaccount):
// a JWT signed by the cluster's service account key with the standard claims
// (iss, sub, aud, exp, iat, nbf, jti) and the private "kubernetes.io" claim naming
// the namespace, the ServiceAccount and the object the token is bound to. A token
// is good while its signature, issuer, audience and times hold and its
// ServiceAccount (same uid) and bound Pod or Secret (same uid, not deleted) exist.
import { createHash, randomUUID } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import type { ServiceAccountKey } from '../pki/service-account-key.js';
import { JwtError, decodeJwt, signJwt, verifyJwt } from './jwt.js';
import { LEGACY_ISSUER, legacyClaims, legacySecretRefusal, legacySubject, type LegacySubject } from './legacy-token.js';

/** The API server's own audience and issuer, as kubeadm and k3s set them. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_ISSUER = API_AUDIENCE;
/** go-jose's default leeway for exp/nbf, and for deletions, as upstream's validator */
const LEEWAY_SECONDS = 60;
const CACHE_MAX = 10_000;

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface TokenSubject {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface ServiceAccountUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** Reads an object (the watch cache first, storage on a miss); undefined when it does not exist. */
export type ObjectLookup = (resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string | undefined, name: string) => KubeObject | undefined | Promise<KubeObject | undefined>;

export class TokenInvalid extends Error {}

interface PrivateClaims {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  warnafter?: number;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export class ServiceAccountTokens {
  /** claims of tokens whose signature and issuer were checked, by the token's hash, until they expire */
  private readonly verified = new Map<string, { claims: Record<string, unknown>; exp: number }>();
  private readonly now: () => number;
  readonly issuer: string;
  readonly audiences: string[];

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly lookup: ObjectLookup,
    opts: { issuer?: string; audiences?: string[]; now?: () => number } = {},
  ) {
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.audiences = opts.audiences ?? [API_AUDIENCE];
    this.now = opts.now ?? Date.now;
  }

  /**
   * A signed token for subject, valid expirationSeconds from now; with warnAfterSeconds
   * it carries upstream's kubernetes.io warnafter (an extended token, see token-request.ts).
   */
  issue(subject: TokenSubject, audiences: string[], expirationSeconds: number, warnAfterSeconds?: number): { token: string; expirationTimestamp: Date; issuedAt: Date } {
    const now = Math.floor(this.now() / 1000);
    const exp = now + expirationSeconds;
    const priv: PrivateClaims = { namespace: subject.namespace, serviceaccount: subject.serviceAccount };
    if (subject.pod) priv.pod = subject.pod;
    else if (subject.secret) priv.secret = subject.secret;
    if (subject.node) priv.node = subject.node;
    if (warnAfterSeconds !== undefined) priv.warnafter = now + warnAfterSeconds;
    const claims = {
      aud: audiences,
      exp,
      iat: now,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': priv,
      nbf: now,
      sub: serviceAccountUsername(subject.namespace, subject.serviceAccount.name),
    };
    return { token: signJwt(claims, this.key.privateKey, this.key.alg, this.key.keyId), expirationTimestamp: new Date(exp * 1000), issuedAt: new Date(now * 1000) };
  }

  /** A legacy token for a kubernetes.io/service-account-token Secret (no expiry; good while the Secret holds it). */
  issueLegacy(subject: LegacySubject): string {
    return signJwt(legacyClaims(subject), this.key.privateKey, this.key.alg, this.key.keyId);
  }

  /** Whether the token looks like one of ours (a JWT naming our issuer, or the legacy one); others are left to other authenticators. */
  isOurs(token: string): boolean {
    const iss = decodeJwt(token)?.claims.iss;
    return iss === this.issuer || iss === LEGACY_ISSUER;
  }

  /** The user the token stands for; throws TokenInvalid saying why not. */
  async authenticate(token: string): Promise<ServiceAccountUser> {
    return (await this.review(token, this.audiences)).user;
  }

  /** As authenticate, for any of the given audiences (TokenReview); also says which of them the token is for. */
  async review(token: string, audiences: string[]): Promise<{ user: ServiceAccountUser; audiences: string[] }> {
    const hash = createHash('sha256').update(token).digest('hex');
    const nowS = this.now() / 1000;
    let hit = this.verified.get(hash);
    if (hit && hit.exp + LEEWAY_SECONDS < nowS) {
      this.verified.delete(hash);
      hit = undefined;
    }
    const claims = hit?.claims ?? this.checkSigned(token);
    if (claims.iss === LEGACY_ISSUER) {
      if (!hit) this.remember(hash, claims, Infinity);
      return this.reviewLegacy(token, claims, audiences);
    }
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? (claims.aud as string[]) : [];
    const matched = audiences.filter((a) => aud.includes(a));
    if (matched.length === 0) throw new TokenInvalid(`token audiences ${JSON.stringify(aud)} is invalid for the target audiences ${JSON.stringify(audiences)}`);
    const exp = claims.exp as number;
    const nbf = claims.nbf as number | undefined;
    if (exp + LEEWAY_SECONDS < nowS) throw new TokenInvalid('service account token has expired');
    if (nbf !== undefined && nbf - LEEWAY_SECONDS > nowS) throw new TokenInvalid('service account token is not valid yet');
    if (!hit) this.remember(hash, claims, exp);
    return { user: await this.checkObjects(claims['kubernetes.io'] as PrivateClaims, nowS, claims.jti), audiences: matched };
  }

  private checkSigned(token: string): Record<string, unknown> {
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(token, this.key.publicKey, this.key.alg);
    } catch (e) {
      if (e instanceof JwtError) throw new TokenInvalid(e.message);
      throw e;
    }
    if (claims.iss === LEGACY_ISSUER) {
      if (!legacySubject(claims)) throw new TokenInvalid('service account token claims could not be validated');
      return claims;
    }
    if (claims.iss !== this.issuer) throw new TokenInvalid('token issuer is not ours');
    if (typeof claims.exp !== 'number') throw new TokenInvalid('service account token has no expiry');
    const priv = claims['kubernetes.io'] as PrivateClaims | undefined;
    if (!priv || typeof priv.namespace !== 'string' || typeof priv.serviceaccount?.name !== 'string') throw new TokenInvalid('service account token claims could not be validated');
    if (claims.sub !== serviceAccountUsername(priv.namespace, priv.serviceaccount.name)) throw new TokenInvalid('service account token subject does not match its claims');
    return claims;
  }

  /** A legacy token: only for the API server's own audiences, while its Secret holds it and its account exists. */
  private async reviewLegacy(token: string, claims: Record<string, unknown>, audiences: string[]): Promise<{ user: ServiceAccountUser; audiences: string[] }> {
    const matched = audiences.filter((a) => this.audiences.includes(a));
    if (matched.length === 0) throw new TokenInvalid(`token audiences ${JSON.stringify(this.audiences)} is invalid for the target audiences ${JSON.stringify(audiences)}`);
    const s = legacySubject(claims)!;
    const secret = await this.lookup('secrets', s.namespace, s.secret);
    const why = legacySecretRefusal(secret, token);
    if (why) throw new TokenInvalid(why);
    const sa = await this.lookup('serviceaccounts', s.namespace, s.serviceAccount);
    if (!sa || sa.metadata.deletionTimestamp) throw new TokenInvalid(`service account ${s.namespace}/${s.serviceAccount} has been deleted`);
    if (sa.metadata.uid !== s.serviceAccountUid) throw new TokenInvalid(`service account UID (${sa.metadata.uid}) does not match claim (${s.serviceAccountUid})`);
    return {
      user: { username: serviceAccountUsername(s.namespace, s.serviceAccount), uid: s.serviceAccountUid, groups: ['system:serviceaccounts', `system:serviceaccounts:${s.namespace}`, 'system:authenticated'], extra: {} },
      audiences: matched,
    };
  }

  private remember(hash: string, claims: Record<string, unknown>, exp: number): void {
    if (this.verified.size >= CACHE_MAX) {
      // the oldest entry goes (a Map iterates in insertion order)
      const first = this.verified.keys().next().value;
      if (first !== undefined) this.verified.delete(first);
    }
    this.verified.set(hash, { claims, exp });
  }

  private async checkObjects(priv: PrivateClaims, nowS: number, jti: unknown): Promise<ServiceAccountUser> {
    const ns = priv.namespace;
    const saName = priv.serviceaccount.name;
    const deleted = (o: KubeObject) => !!o.metadata.deletionTimestamp && Date.parse(o.metadata.deletionTimestamp) / 1000 < nowS - LEEWAY_SECONDS;
    const sa = await this.lookup('serviceaccounts', ns, saName);
    if (!sa) throw new TokenInvalid(`serviceaccounts "${saName}" not found`);
    if (deleted(sa)) throw new TokenInvalid(`service account ${ns}/${saName} has been deleted`);
    if (sa.metadata.uid !== priv.serviceaccount.uid) throw new TokenInvalid(`service account UID (${sa.metadata.uid}) does not match claim (${priv.serviceaccount.uid})`);
    if (priv.secret) {
      const secret = await this.lookup('secrets', ns, priv.secret.name);
      if (!secret || deleted(secret)) throw new TokenInvalid('service account token has been invalidated');
      if (secret.metadata.uid !== priv.secret.uid) throw new TokenInvalid(`secret UID (${secret.metadata.uid}) does not match service account secret ref claim (${priv.secret.uid})`);
    }
    if (priv.pod) {
      const pod = await this.lookup('pods', ns, priv.pod.name);
      if (!pod || deleted(pod)) throw new TokenInvalid('service account token has been invalidated');
      if (pod.metadata.uid !== priv.pod.uid) throw new TokenInvalid(`pod UID (${pod.metadata.uid}) does not match service account pod ref claim (${priv.pod.uid})`);
    } else if (priv.node) {
      // a token bound to a node (not one naming its pod's node) lives as long as the node
      const node = await this.lookup('nodes', undefined, priv.node.name);
      if (!node || deleted(node)) throw new TokenInvalid('service account token has been invalidated');
      if (node.metadata.uid !== priv.node.uid) throw new TokenInvalid(`node UID (${node.metadata.uid}) does not match service account node ref claim (${priv.node.uid})`);
    }
    const extra: Record<string, string[]> = {};
    if (typeof jti === 'string' && jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${jti}`];
    if (priv.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [priv.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [priv.pod.uid];
    }
    if (priv.node) {
      extra['authentication.kubernetes.io/node-name'] = [priv.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [priv.node.uid];
    }
    return {
      username: serviceAccountUsername(ns, saName),
      uid: priv.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      extra,
    };
  }
}
