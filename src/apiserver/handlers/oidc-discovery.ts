// Service account issuer discovery, as upstream serves it: the OpenID provider
// configuration at /.well-known/openid-configuration and the public signing
// keys at /openid/v1/jwks, so systems outside the cluster (Vault's JWT auth,
// cloud identity federation) can check service account tokens themselves.
import type { ServerResponse } from 'node:http';
import type { ServiceAccountKey } from '../pki/service-account-key.js';
import { sendRaw } from '../http/respond.js';

export const OIDC_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

export function oidcConfiguration(issuer: string, jwksUri: string, key: ServiceAccountKey): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [key.alg],
  };
}

export function jwks(key: ServiceAccountKey): { keys: Array<Record<string, unknown>> } {
  return { keys: [{ ...key.publicKey.export({ format: 'jwk' }), use: 'sig', kid: key.keyId, alg: key.alg }] };
}

/** Answers the two discovery paths; false for any other path. */
export function serveOidcDiscovery(res: ServerResponse, path: string, issuer: string, jwksUri: () => string, key: ServiceAccountKey): boolean {
  // public keys change only with the key file: clients may cache them, as upstream allows
  const cache = { 'cache-control': 'public, max-age=3600' };
  if (path === OIDC_CONFIG_PATH) sendRaw(res, 200, 'application/json', JSON.stringify(oidcConfiguration(issuer, jwksUri(), key)), cache);
  else if (path === JWKS_PATH) sendRaw(res, 200, 'application/jwk-set+json', JSON.stringify(jwks(key)), cache);
  else return false;
  return true;
}
