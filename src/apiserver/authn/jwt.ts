// Compact JWS (RFC 7515) signing and checking with node:crypto: ES256 (raw r||s
// signatures, as JOSE wants) and RS256. Only what service account tokens need.
import { sign, verify, type KeyObject } from 'node:crypto';

export class JwtError extends Error {}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function signatureOptions(key: KeyObject): { key: KeyObject; dsaEncoding?: 'ieee-p1363' } {
  return key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : { key };
}

export function signJwt(claims: Record<string, unknown>, key: KeyObject, alg: 'ES256' | 'RS256', keyId: string): string {
  const input = `${b64({ alg, kid: keyId })}.${b64(claims)}`;
  const sig = sign('sha256', Buffer.from(input), signatureOptions(key));
  return `${input}.${sig.toString('base64url')}`;
}

/** The header and claims of a JWT, unchecked; undefined when it is not shaped as one. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; input: string; signature: Buffer } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    return { header, claims, input: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

/** The claims when the signature is the key's, with the algorithm the key signs with; else throws JwtError. */
export function verifyJwt(token: string, key: KeyObject, alg: 'ES256' | 'RS256'): Record<string, unknown> {
  const jwt = decodeJwt(token);
  if (!jwt) throw new JwtError('malformed token');
  // the algorithm is ours, never the token's say (no "none", no RS/HS confusion)
  if (jwt.header.alg !== alg) throw new JwtError(`unexpected signing algorithm ${String(jwt.header.alg)}`);
  if (!verify('sha256', Buffer.from(jwt.input), signatureOptions(key), jwt.signature)) throw new JwtError('invalid signature');
  return jwt.claims;
}
