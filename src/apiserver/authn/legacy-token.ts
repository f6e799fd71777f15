// Legacy service account tokens: what upstream's tokens controller writes into
// Secrets of type kubernetes.io/service-account-token ("long-lived API tokens").
// A JWT with no expiry naming the namespace, the ServiceAccount and the Secret;
// good while the Secret still holds exactly this token and the ServiceAccount
// (same uid) exists.
import { timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
const P = 'kubernetes.io/serviceaccount/';

export interface LegacySubject {
  namespace: string;
  serviceAccount: string;
  serviceAccountUid: string;
  secret: string;
}

export function legacyClaims(s: LegacySubject): Record<string, unknown> {
  return {
    iss: LEGACY_ISSUER,
    [`${P}namespace`]: s.namespace,
    [`${P}secret.name`]: s.secret,
    [`${P}service-account.name`]: s.serviceAccount,
    [`${P}service-account.uid`]: s.serviceAccountUid,
    sub: `system:serviceaccount:${s.namespace}:${s.serviceAccount}`,
  };
}

/** The subject the claims name; undefined when one is missing. */
export function legacySubject(claims: Record<string, unknown>): LegacySubject | undefined {
  const get = (k: string) => (typeof claims[`${P}${k}`] === 'string' && claims[`${P}${k}`] ? (claims[`${P}${k}`] as string) : undefined);
  const namespace = get('namespace');
  const serviceAccount = get('service-account.name');
  const serviceAccountUid = get('service-account.uid');
  const secret = get('secret.name');
  if (!namespace || !serviceAccount || !serviceAccountUid || !secret) return undefined;
  if (claims.sub !== `system:serviceaccount:${namespace}:${serviceAccount}`) return undefined;
  return { namespace, serviceAccount, serviceAccountUid, secret };
}

/** Why the Secret does not vouch for the token (upstream's messages), or undefined when it does. */
export function legacySecretRefusal(secret: KubeObject | undefined, token: string): string | undefined {
  if (!secret || secret.metadata.deletionTimestamp) return 'token has been invalidated';
  const stored = (secret as KubeObject & { data?: Record<string, string> }).data?.token;
  const have = Buffer.from(stored ?? '', 'base64');
  const presented = Buffer.from(token);
  if (have.length !== presented.length || !timingSafeEqual(have, presented)) return "token does not match server's copy";
  return undefined;
}
