// A container's environment as upstream's kubelet builds it: env (value,
// configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef) over envFrom, with
// $(VAR) references expanded, over the Services' link variables (service-env.ts).
import type { KubeObject } from '../api/object.js';
import { fieldValue, MissingVolumeSource, type ObjectGetter } from './volumes.js';
import { parseQuantity } from './quantity.js';
import { podServiceLinks, serviceLinkEnv, type ServiceLister } from './service-env.js';

type Obj = Record<string, any>;

export class EnvError extends MissingVolumeSource {}

function expand(value: string, vars: Map<string, string>): string {
  // $(VAR) expands, $$ escapes, unknown references stay as written
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) => (m === '$$' ? '$' : vars.has(name) ? vars.get(name)! : m));
}

async function keyOf(get: ObjectGetter, kind: 'configmaps' | 'secrets', ns: string, ref: Obj): Promise<string | undefined> {
  const obj = await get(kind, ns, ref.name);
  const raw = (obj?.data as Record<string, string> | undefined)?.[ref.key];
  if (raw === undefined) {
    if (ref.optional) return undefined;
    throw new EnvError(obj ? `couldn't find key ${ref.key} in ${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}` : `${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found`);
  }
  return kind === 'secrets' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

function resourceValue(c: Obj, ref: Obj): string {
  const [kind, name] = String(ref.resource).split('.');
  const v = c.resources?.[kind]?.[name];
  if (v === undefined) return '0';
  const divisor = ref.divisor ? parseQuantity(String(ref.divisor)) : 1;
  return String(Math.ceil(parseQuantity(String(v)) / divisor));
}

/** services: what the node watches; without it only the `kubernetes` Service's links, read through get */
export async function resolveEnv(c: Obj, pod: KubeObject, get: ObjectGetter, services?: ServiceLister): Promise<string[]> {
  const ns = pod.metadata.namespace!;
  // the pod's own variables win over the service links, and may refer to them
  let links: Array<[string, string]>;
  if (services) {
    const known = podServiceLinks(pod, services);
    if (!known) throw new EnvError('services have not yet been read at least once, cannot construct envvars');
    links = known;
  } else {
    const kubernetes = await get('services', 'default', 'kubernetes');
    links = kubernetes ? serviceLinkEnv(kubernetes) : [];
  }
  const vars = new Map<string, string>(links);
  for (const from of (c.envFrom ?? []) as Obj[]) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configmaps' : 'secrets';
    const obj = await get(kind, ns, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw new EnvError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) vars.set(`${from.prefix ?? ''}${k}`, kind === 'secrets' ? Buffer.from(v, 'base64').toString('utf8') : v);
  }
  for (const e of (c.env ?? []) as Obj[]) {
    let value: string | undefined;
    if (e.valueFrom?.configMapKeyRef) value = await keyOf(get, 'configmaps', ns, e.valueFrom.configMapKeyRef);
    else if (e.valueFrom?.secretKeyRef) value = await keyOf(get, 'secrets', ns, e.valueFrom.secretKeyRef);
    else if (e.valueFrom?.fieldRef) value = fieldValue(pod, e.valueFrom.fieldRef.fieldPath);
    else if (e.valueFrom?.resourceFieldRef) value = resourceValue(c, e.valueFrom.resourceFieldRef);
    else value = expand(e.value ?? '', vars);
    if (value !== undefined) vars.set(e.name, value);
  }
  return [...vars].map(([k, v]) => `${k}=${v}`);
}
