// The control plane's PKI in DATA_DIR/tls: one cluster CA (as kubeadm does: it
// signs the serving certificate and client certificates, and clients trust only
// it), a serving certificate, an admin client certificate, and admin.kubeconfig.
// Leaf certificates are re-issued well before they expire, and an expired one
// never prevents start: it is simply re-issued from the CA.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createCa, issueLeaf, notAfter, pemToKeys, sansOf, parseCertificate, type Signer } from './certificates.js';
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';

const DAY = 86_400_000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** leaf certificates are re-issued when fewer days than this remain */
export const LEAF_RENEW_BEFORE_DAYS = 90;
/** the CA is replaced (and everything re-issued) when less than a year remains */
export const CA_RENEW_BEFORE_DAYS = 365;

export interface PkiOptions {
  dataDir: string;
  bindAddress: string;
  port: number;
  extraSans?: string[];
  /** the first service IP (the kubernetes Service) */
  serviceIp?: string;
  now?: () => Date;
  leafValidityDays?: number;
}

export interface Pki {
  caCertPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  adminKubeconfigPath: string;
  tlsDir: string;
  /** options for https.createServer / setSecureContext */
  httpsOptions(): { cert: string; key: string; ca: string; requestCert: true; rejectUnauthorized: false; minVersion: 'TLSv1.2' };
  /** re-issues what is close to expiry; true when the serving certificate changed */
  renewIfNeeded(): Promise<boolean>;
  /** issues a client certificate signed by the cluster CA (nodes, controllers) */
  issueClientCert(commonName: string, organizations: string[]): Promise<{ certPem: string; keyPem: string }>;
  /** issues a serving certificate signed by the cluster CA (a node's kubelet endpoint) */
  issueServingCert(commonName: string, dnsNames: string[], ips: string[]): Promise<{ certPem: string; keyPem: string }>;
}

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export async function ensurePki(opts: PkiOptions): Promise<Pki> {
  const tlsDir = join(opts.dataDir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const now = opts.now ?? (() => new Date());
  const leafDays = opts.leafValidityDays ?? LEAF_VALIDITY_DAYS;
  const paths = {
    caCert: join(tlsDir, 'ca.crt'),
    caKey: join(tlsDir, 'ca.key'),
    servingCert: join(tlsDir, 'serving.crt'),
    servingKey: join(tlsDir, 'serving.key'),
    adminCert: join(tlsDir, 'admin.crt'),
    adminKey: join(tlsDir, 'admin.key'),
  };
  const kubeconfigPath = join(opts.dataDir, 'admin.kubeconfig');
  const wanted = servingNames(opts);

  let ca: Signer & { certPem: string };
  let servingCertPem = '';
  let servingKeyPem = '';

  async function loadOrCreateCa(): Promise<boolean> {
    const certPem = read(paths.caCert);
    const keyPem = read(paths.caKey);
    if (certPem && keyPem && notAfter(certPem).getTime() - now().getTime() > CA_RENEW_BEFORE_DAYS * DAY) {
      ca = { cert: parseCertificate(certPem), keys: await pemToKeys(keyPem, certPem), certPem };
      return false;
    }
    // New CA: clients must fetch the new admin.kubeconfig (it is rewritten below).
    const created = await createCa('skiff-ca', now(), CA_VALIDITY_DAYS);
    writeAtomic(paths.caKey, created.keyPem, 0o600);
    writeAtomic(paths.caCert, created.certPem, 0o644);
    ca = { cert: created.cert, keys: created.keys, certPem: created.certPem };
    return true;
  }

  function leafNeedsRenewal(certPem: string | undefined, keyPem: string | undefined, names?: { dns: string[]; ips: string[] }): boolean {
    if (!certPem || !keyPem) return true;
    if (notAfter(certPem).getTime() - now().getTime() < LEAF_RENEW_BEFORE_DAYS * DAY) return true;
    if (!parseCertificate(certPem).issuer || parseCertificate(certPem).issuer !== ca.cert.subject) return true;
    if (!names) return false;
    const have = sansOf(certPem);
    return names.dns.some((d) => !have.dns.includes(d)) || names.ips.some((i) => !have.ips.includes(i));
  }

  async function ensureLeaves(caChanged: boolean): Promise<{ servingChanged: boolean; adminChanged: boolean }> {
    let servingChanged = false;
    let adminChanged = false;
    const sCert = read(paths.servingCert);
    const sKey = read(paths.servingKey);
    if (caChanged || leafNeedsRenewal(sCert, sKey, wanted)) {
      const issued = await issueLeaf(ca, { commonName: 'kube-apiserver', dnsNames: wanted.dns, ips: wanted.ips, usage: 'server', now: now(), validityDays: leafDays });
      writeAtomic(paths.servingKey, issued.keyPem, 0o600);
      writeAtomic(paths.servingCert, issued.certPem, 0o644);
      servingCertPem = issued.certPem;
      servingKeyPem = issued.keyPem;
      servingChanged = true;
    } else {
      servingCertPem = sCert!;
      servingKeyPem = sKey!;
    }
    const aCert = read(paths.adminCert);
    const aKey = read(paths.adminKey);
    if (caChanged || leafNeedsRenewal(aCert, aKey)) {
      const issued = await issueLeaf(ca, { commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', now: now(), validityDays: leafDays });
      writeAtomic(paths.adminKey, issued.keyPem, 0o600);
      writeAtomic(paths.adminCert, issued.certPem, 0o644);
      adminChanged = true;
    }
    const spec = { server: serverUrl(opts), caPem: ca.certPem, certPem: read(paths.adminCert)!, keyPem: read(paths.adminKey)! };
    // rewritten when anything in it changed: certificates, or the address/port
    if (adminChanged || read(kubeconfigPath) !== kubeconfigYaml(spec)) writeKubeconfig(kubeconfigPath, spec);
    return { servingChanged, adminChanged };
  }

  const caChanged = await loadOrCreateCa();
  await ensureLeaves(caChanged);

  const pki: Pki = {
    get caCertPem() {
      return ca.certPem;
    },
    get servingCertPem() {
      return servingCertPem;
    },
    get servingKeyPem() {
      return servingKeyPem;
    },
    adminKubeconfigPath: kubeconfigPath,
    tlsDir,
    httpsOptions: () => ({ cert: servingCertPem, key: servingKeyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }),
    async renewIfNeeded() {
      const changedCa = await loadOrCreateCa();
      const { servingChanged } = await ensureLeaves(changedCa);
      return servingChanged || changedCa;
    },
    issueClientCert: (commonName, organizations) => issueLeaf(ca, { commonName, organizations, usage: 'client', now: now(), validityDays: leafDays }),
    issueServingCert: (commonName, dnsNames, ips) => issueLeaf(ca, { commonName, dnsNames, ips, usage: 'server', now: now(), validityDays: leafDays }),
  };
  return pki;
}

function serverUrl(opts: PkiOptions): string {
  const host = opts.bindAddress === '0.0.0.0' || opts.bindAddress === '::' || !opts.bindAddress ? '127.0.0.1' : opts.bindAddress;
  return `https://${host.includes(':') ? `[${host}]` : host}:${opts.port}`;
}

function servingNames(opts: PkiOptions): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  const ips = new Set(['127.0.0.1', '::1', opts.serviceIp ?? '10.43.0.1']);
  try {
    dns.add(hostname());
  } catch {
    // no hostname: localhost and IPs still work
  }
  if (opts.bindAddress && opts.bindAddress !== '0.0.0.0' && opts.bindAddress !== '::') ips.add(opts.bindAddress);
  for (const san of opts.extraSans ?? []) {
    if (isIP(san)) ips.add(san);
    else if (san) dns.add(san);
  }
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}
