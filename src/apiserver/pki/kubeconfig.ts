// Writes a kubeconfig with embedded credentials that kubectl uses with no flags.
import { renameSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  cluster?: string;
  user?: string;
}

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const cluster = spec.cluster ?? 'skiff';
  const userName = spec.user ?? 'admin';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const user: Record<string, string> = {};
  if (spec.certPem) user['client-certificate-data'] = b64(spec.certPem);
  if (spec.keyPem) user['client-key-data'] = b64(spec.keyPem);
  if (spec.token) user.token = spec.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: userName, user }],
    contexts: [{ name: cluster, context: { cluster, user: userName } }],
    'current-context': cluster,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, kubeconfigYaml(spec), { mode: 0o600 });
  renameSync(tmp, path);
}
