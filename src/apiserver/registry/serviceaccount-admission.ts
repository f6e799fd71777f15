// Upstream's ServiceAccount admission plugin, on pod create: the pod runs as
// spec.serviceAccountName ("default" when empty; spec.serviceAccount is its
// deprecated alias), which must exist; unless automountServiceAccountToken is
// false on the pod (else on the ServiceAccount) every container and init
// container gets the "kube-api-access-xxxxx" projected volume (a bound token,
// the cluster CA, the namespace) at /var/run/secrets/kubernetes.io/serviceaccount;
// a pod without imagePullSecrets takes the ServiceAccount's.
import { randomInt } from 'node:crypto';
import { errors } from '../../api/errors.js';
import { findResource } from '../../api/kinds/resources.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { StorageError, type Storage } from '../../storage/store.js';
import { objectKey, resourcePrefix } from './keys.js';

type Obj = Record<string, any>;

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** upstream's WarnOnlyBoundTokenExpirationSeconds: one hour and seven seconds */
export const TOKEN_VOLUME_EXPIRATION_SECONDS = 3607;
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
// upstream's SimpleNameGenerator alphabet: no vowels, no look-alikes
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected volume upstream's admission adds (TokenVolumeSource). */
export function tokenVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_VOLUME_EXPIRATION_SECONDS } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

function generatedVolumeName(): string {
  let s = TOKEN_VOLUME_PREFIX;
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return s;
}

/** Fills the pod's service account fields and mounts its token, as upstream's plugin does (sa: the pod's ServiceAccount). */
export function applyServiceAccount(pod: KubeObject, sa: KubeObject): void {
  const spec = pod.spec as Obj;
  const automount = spec.automountServiceAccountToken ?? (sa as Obj).automountServiceAccountToken ?? true;
  if (automount) mountToken(spec);
  if (!spec.imagePullSecrets?.length && (sa as Obj).imagePullSecrets?.length) {
    spec.imagePullSecrets = ((sa as Obj).imagePullSecrets as Obj[]).map((s) => ({ ...s }));
  }
}

function mountToken(spec: Obj): void {
  const volumes = (spec.volumes ?? []) as Obj[];
  // a pod that already has one (a re-created copy of an admitted pod) keeps its name
  const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const name = existing?.name ?? generatedVolumeName();
  let needed = false;
  for (const list of [spec.initContainers, spec.containers] as Array<Obj[] | undefined>) {
    for (const c of list ?? []) {
      const mounts = (c.volumeMounts ?? []) as Obj[];
      if (mounts.some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
      needed = true;
    }
  }
  if (needed && !existing) spec.volumes = [...volumes, tokenVolume(name)];
}

export class ServiceAccountAdmission {
  constructor(
    private readonly storage: Storage,
    /** the default ServiceAccount is made by a controller just after its namespace: wait for it as upstream does (10 tries there; more here, a loaded machine is slower to make it) */
    private readonly opts: { defaultAttempts?: number; retryMs?: number } = {},
  ) {}

  private async lookup(namespace: string, name: string): Promise<KubeObject | undefined> {
    const info = findResource('', 'serviceaccounts')!;
    const store = this.storage.resource(resourcePrefix(info));
    const key = objectKey(info, namespace, name);
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? (this.opts.defaultAttempts ?? 25) : 1;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (this.opts.retryMs ?? 100) + randomInt(100)));
      const cached = store.getCached(key);
      if (cached) return cached;
      try {
        return await store.get(key);
      } catch (e) {
        if (!(e instanceof StorageError && e.code === 'KeyNotFound')) throw e;
      }
    }
    return undefined;
  }

  async admit(info: ResourceInfo, pod: KubeObject): Promise<void> {
    if (info.group !== '' || info.plural !== 'pods') return;
    const spec = (pod.spec ?? {}) as Obj;
    const ns = pod.metadata.namespace!;
    const forbidden = (why: string) => errors.forbidden(`pods "${pod.metadata.name}" is forbidden: ${why}`);
    if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) {
      // a mirror pod is the kubelet's copy of a static pod: never changed, and it may not name an account
      if (spec.serviceAccountName || spec.serviceAccount) throw forbidden('a mirror pod may not reference service accounts');
      return;
    }
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccount = spec.serviceAccountName;
    const sa = await this.lookup(ns, spec.serviceAccountName);
    if (!sa) throw forbidden(`error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`);
    applyServiceAccount(pod, sa);
  }
}
