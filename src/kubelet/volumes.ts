// Pod volumes on the node: emptyDir (disk or memory), hostPath, configMap,
// secret, downwardAPI and projected (configMap, secret, downwardAPI and
// serviceAccountToken sources), materialized under the pod's directory and
// bind-mounted into its containers. ConfigMap and Secret contents are rewritten
// when they change, so mounted files follow updates as upstream's do.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { isMounted } from '../runtime/oci/mounts.js';
import type { KubeObject } from '../api/object.js';
import type { Mount } from '../runtime/runtime.js';

type Obj = Record<string, any>;

/** Reads a ConfigMap or Secret in the pod's namespace; undefined when it does not exist. */
export type ObjectGetter = (kind: 'configmaps' | 'secrets' | 'services', namespace: string, name: string) => Promise<KubeObject | undefined>;

/** A service account token for a pod's serviceAccountToken projection (token-manager.ts); throws MissingVolumeSource. */
export type TokenSource = (pod: KubeObject, projection: Record<string, unknown>) => Promise<string>;

export class MissingVolumeSource extends Error {}

export function podDir(root: string, pod: KubeObject): string {
  return join(root, 'pods', pod.metadata.uid!);
}


/** Writes files into dir atomically enough for readers: each file replaced by rename, stale ones removed. */
function syncFiles(dir: string, files: Map<string, { data: Buffer; mode: number }>): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, f] of files) {
    const path = join(dir, rel);
    if (!normalize(path).startsWith(dir + '/')) continue; // "../" in a key path never escapes
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path) && readFileSync(path).equals(f.data) && (statSync(path).mode & 0o777) === f.mode) continue;
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, f.data, { mode: f.mode });
    chmodSync(tmp, f.mode);
    renameSync(tmp, path);
  }
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, name);
    if (statSync(full).isFile() && !files.has(name)) rmSync(full);
  }
}

function fieldValue(pod: KubeObject, path: string): string {
  const m = pod.metadata;
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return m.labels?.[label[1]] ?? '';
  const ann = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (ann) return m.annotations?.[ann[1]] ?? '';
  const fmt = (rec: Record<string, string> | undefined) => Object.entries(rec ?? {}).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return fmt(m.labels);
    case 'metadata.annotations':
      return fmt(m.annotations);
    case 'spec.nodeName':
      return (pod.spec as Obj)?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return (pod.spec as Obj)?.serviceAccountName ?? '';
    case 'status.podIP':
      return (pod.status as Obj)?.podIP ?? '';
    case 'status.hostIP':
      return (pod.status as Obj)?.hostIP ?? '';
  }
  return '';
}

export { fieldValue };

async function keyedFiles(source: Obj, kind: 'configmaps' | 'secrets', ns: string, get: ObjectGetter): Promise<Map<string, { data: Buffer; mode: number }> | undefined> {
  const name = kind === 'configmaps' ? source.name : source.secretName ?? source.name;
  const obj = await get(kind, ns, name);
  if (!obj) {
    if (source.optional) return new Map();
    throw new MissingVolumeSource(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found`);
  }
  const entries = new Map<string, Buffer>();
  if (kind === 'configmaps') {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) entries.set(k, Buffer.from(v));
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) entries.set(k, Buffer.from(v, 'base64'));
  } else {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) entries.set(k, Buffer.from(v, 'base64'));
  }
  const mode = source.defaultMode ?? 0o644;
  const files = new Map<string, { data: Buffer; mode: number }>();
  if (source.items?.length) {
    for (const it of source.items as Obj[]) {
      const data = entries.get(it.key);
      if (data) files.set(it.path, { data, mode: it.mode ?? mode });
    }
  } else {
    for (const [k, data] of entries) files.set(k, { data, mode });
  }
  return files;
}

function downwardFiles(pod: KubeObject, items: Obj[] = [], defaultMode = 0o644): Map<string, { data: Buffer; mode: number }> {
  const files = new Map<string, { data: Buffer; mode: number }>();
  for (const it of items) {
    if (it.fieldRef) files.set(it.path, { data: Buffer.from(fieldValue(pod, it.fieldRef.fieldPath)), mode: it.mode ?? defaultMode });
  }
  return files;
}

async function tokenFiles(pod: KubeObject, projection: Obj, defaultMode: number | undefined, token?: TokenSource): Promise<Map<string, { data: Buffer; mode: number }>> {
  if (!token) throw new MissingVolumeSource('failed to fetch token: this node cannot request service account tokens');
  return new Map([[projection.path as string, { data: Buffer.from(await token(pod, projection)), mode: defaultMode ?? 0o644 }]]);
}

/** Prepares every volume of the pod; returns the host directory of each. */
export async function setUpVolumes(root: string, pod: KubeObject, get: ObjectGetter, token?: TokenSource): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  const base = join(podDir(root, pod), 'volumes');
  const ns = pod.metadata.namespace!;
  for (const v of ((pod.spec as Obj).volumes ?? []) as Obj[]) {
    const dir = join(base, v.name);
    if (v.hostPath) {
      const p = v.hostPath.path as string;
      if (!existsSync(p)) {
        if (v.hostPath.type === 'DirectoryOrCreate' || !v.hostPath.type) mkdirSync(p, { recursive: true });
        else if (v.hostPath.type === 'FileOrCreate') writeFileSync(p, '');
        else throw new MissingVolumeSource(`hostPath ${p} does not exist`);
      }
      dirs.set(v.name, p);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    if (v.emptyDir !== undefined) {
      if (v.emptyDir?.medium === 'Memory' && !isMounted(dir)) {
        const size = v.emptyDir.sizeLimit ? [`size=${v.emptyDir.sizeLimit}`.replace(/i$/, '')] : [];
        execFileSync('mount', ['-t', 'tmpfs', '-o', ['mode=1777', ...size].join(','), 'tmpfs', dir]);
      } else chmodSync(dir, 0o1777);
    } else if (v.configMap) {
      syncFiles(dir, (await keyedFiles(v.configMap, 'configmaps', ns, get))!);
    } else if (v.secret) {
      syncFiles(dir, (await keyedFiles(v.secret, 'secrets', ns, get))!);
    } else if (v.downwardAPI) {
      syncFiles(dir, downwardFiles(pod, v.downwardAPI.items, v.downwardAPI.defaultMode));
    } else if (v.projected) {
      const files = new Map<string, { data: Buffer; mode: number }>();
      for (const src of (v.projected.sources ?? []) as Obj[]) {
        const part = src.configMap
          ? await keyedFiles({ ...src.configMap, defaultMode: v.projected.defaultMode }, 'configmaps', ns, get)
          : src.secret
            ? await keyedFiles({ ...src.secret, defaultMode: v.projected.defaultMode }, 'secrets', ns, get)
            : src.downwardAPI
              ? downwardFiles(pod, src.downwardAPI.items, v.projected.defaultMode)
              : src.serviceAccountToken
                ? await tokenFiles(pod, src.serviceAccountToken, v.projected.defaultMode, token)
                : undefined;
        for (const [k, f] of part ?? []) files.set(k, f);
      }
      syncFiles(dir, files);
    }
    dirs.set(v.name, dir);
  }
  return dirs;
}

/** The container's mounts from its volumeMounts (subPath and readOnly included). */
export function containerMounts(c: Obj, dirs: Map<string, string>): Mount[] {
  const mounts: Mount[] = [];
  for (const vm of (c.volumeMounts ?? []) as Obj[]) {
    const dir = dirs.get(vm.name);
    if (!dir) continue;
    let source = dir;
    if (vm.subPath) {
      source = normalize(join(dir, vm.subPath));
      if (!source.startsWith(dir)) continue;
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
    }
    mounts.push({ destination: vm.mountPath, source, type: 'bind', readOnly: vm.readOnly === true });
  }
  return mounts;
}

/** Unmounts memory-backed volumes and removes the pod's directory. */
export function tearDownVolumes(root: string, pod: KubeObject): void {
  const base = join(podDir(root, pod), 'volumes');
  if (existsSync(base)) {
    for (const name of readdirSync(base)) {
      const dir = join(base, name);
      if (isMounted(dir)) execFileSync('umount', [dir]);
    }
  }
  rmSync(podDir(root, pod), { recursive: true, force: true });
}
