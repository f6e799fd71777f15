// Issuing X.509 certificates with ECDSA P-256 keys (fast to generate, accepted by
// kubectl and Go clients) through WebCrypto and @peculiar/x509.
// webcrypto through the default export: a named import of this accessor fails the agent bundle (scripts/bundle-agent.mjs)
import crypto, { randomBytes, type webcrypto as WebCrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const webcrypto = crypto.webcrypto;
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface Issued {
  certPem: string;
  keyPem: string;
}

export interface Signer {
  cert: x509.X509Certificate;
  keys: KeyPair;
}

export async function generateKeys(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as KeyPair;
}

export async function keyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as WebCrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function pemToKeys(keyPem: string, certPem: string): Promise<KeyPair> {
  const der = x509.PemConverter.decode(keyPem)[0];
  const privateKey = (await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign'])) as unknown as CryptoKey;
  const cert = new x509.X509Certificate(certPem);
  const publicKey = await cert.publicKey.export(ALG, ['verify'], webcrypto as unknown as Crypto);
  return { privateKey, publicKey };
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive integer, as RFC 5280 requires
  return b.toString('hex');
}

export async function createCa(commonName: string, now: Date, validityDays: number): Promise<Issued & Signer> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validityDays * DAY),
    signingAlgorithm: ALG,
    keys: keys as unknown as CryptoKeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey) };
}

export interface LeafRequest {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  usage: 'server' | 'client';
  now: Date;
  validityDays: number;
}

export async function issueLeaf(ca: Signer, req: LeafRequest): Promise<Issued> {
  const keys = await generateKeys();
  const subject = [`CN=${escapeRdn(req.commonName)}`, ...(req.organizations ?? []).map((o) => `O=${escapeRdn(o)}`)].join(', ');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([req.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey as unknown as CryptoKey),
  ];
  const names = [...(req.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(req.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(req.now.getTime() - 60_000),
    notAfter: new Date(req.now.getTime() + req.validityDays * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey as unknown as CryptoKey,
    signingKey: ca.keys.privateKey as unknown as CryptoKey,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey) };
}

function escapeRdn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** Names and IPs a certificate covers, for deciding whether it must be re-issued. */
export function sansOf(certPem: string): { dns: string[]; ips: string[] } {
  const cert = new x509.X509Certificate(certPem);
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of ext?.names.toJSON() ?? []) {
    if (n.type === 'dns') dns.push(n.value);
    if (n.type === 'ip') ips.push(n.value);
  }
  return { dns, ips };
}

export function notAfter(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

export function parseCertificate(certPem: string): x509.X509Certificate {
  return new x509.X509Certificate(certPem);
}
