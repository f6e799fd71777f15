// The key that signs service account tokens, kept next to the cluster CA in
// DATA_DIR/tls (kubeadm's sa.key). Made once (ECDSA P-256, signing ES256) and
// reused on every start, so tokens stay valid over a restart. An RSA key put
// there instead (e.g. kubeadm's own sa.key) signs RS256.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceAccountKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: 'ES256' | 'RS256';
  /** upstream's key id: base64url of the SHA-256 of the public key's DER (SPKI) */
  keyId: string;
}

export function serviceAccountKeyFrom(privateKey: KeyObject): ServiceAccountKey {
  const publicKey = createPublicKey(privateKey);
  const type = privateKey.asymmetricKeyType;
  if (type === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('service account key: only the P-256 curve is supported');
  if (type !== 'ec' && type !== 'rsa') throw new Error(`service account key: unsupported key type ${type}`);
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  return { privateKey, publicKey, alg: type === 'ec' ? 'ES256' : 'RS256', keyId };
}

/** Loads DATA_DIR/tls/service-account.key, making it on first start. */
export function ensureServiceAccountKey(tlsDir: string): ServiceAccountKey {
  const path = join(tlsDir, 'service-account.key');
  if (existsSync(path)) return serviceAccountKeyFrom(createPrivateKey(readFileSync(path)));
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  renameSync(tmp, path);
  return serviceAccountKeyFrom(privateKey);
}
