// A self-signed certificate for processes that need one once (a node's kubelet
// endpoint, the ingress fallback) and nothing else of X.509: written with
// node:crypto and a few DER encodings (der.ts), so neither @peculiar/x509 nor
// a worker thread to keep it off the heap is needed (a worker leaves ~0.5 MB of
// builtin code cache and its isolate's malloc behind in a node agent).
// Same shape as certificates.ts's createCa: ECDSA P-256 with SHA-256, CN only,
// CA:true, keyCertSign|cRLSign|digitalSignature, a subject key identifier.
import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Issued } from './certificates.js';
import { bitString, booleanTrue, explicit, octetString, oid, sequence, set, smallInteger, time, unsignedInteger, utf8String } from './der.js';

const DAY = 86_400_000;
const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
const generateEcKeys = promisify(generateKeyPair);

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [booleanTrue()] : []), octetString(value));
}

/** The uncompressed EC point: the subjectPublicKey bits, what a key identifier hashes. */
function publicPoint(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

export async function selfSigned(commonName: string, now: Date, validityDays: number): Promise<Issued> {
  const { publicKey, privateKey } = await generateEcKeys('ec', { namedCurve: 'prime256v1' });
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8String(commonName))));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive, as RFC 5280 asks
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(time(new Date(now.getTime() - 60_000)), time(new Date(now.getTime() + validityDays * DAY))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        extension('2.5.29.19', true, sequence(booleanTrue())), // basicConstraints CA:true
        // keyUsage digitalSignature(0) keyCertSign(5) cRLSign(6): 1000 0110, the last bit unused
        extension('2.5.29.15', true, bitString(Buffer.from([0x86]), 1)),
        extension('2.5.29.14', false, octetString(createHash('sha1').update(publicPoint(publicKey)).digest())),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey); // DER Ecdsa-Sig-Value, as X.509 carries it
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
