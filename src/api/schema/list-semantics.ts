// List and map semantics of upstream's Go struct tags (+patchMergeKey,
// +patchStrategy, +listType, +listMapKey), for the fields that have them.
// Every other list is atomic. Keyed by model name and JSON field name.
import type { FieldSchema } from './schema-types.js';

type Semantics = Pick<FieldSchema, 'patchStrategy' | 'patchMergeKey' | 'listType' | 'listMapKeys'>;

const byName = (key: string, extra: Partial<Semantics> = {}): Semantics => ({
  patchStrategy: 'merge',
  patchMergeKey: key,
  listType: 'map',
  listMapKeys: [key],
  ...extra,
});

export const LIST_SEMANTICS: Record<string, Record<string, Semantics>> = {
  V1PodSpec: {
    containers: byName('name'),
    initContainers: byName('name'),
    ephemeralContainers: byName('name'),
    volumes: byName('name', { patchStrategy: 'merge,retainKeys' }),
    imagePullSecrets: byName('name'),
    hostAliases: byName('ip'),
    topologySpreadConstraints: byName('topologyKey', { listMapKeys: ['topologyKey', 'whenUnsatisfiable'] }),
    resourceClaims: byName('name', { patchStrategy: 'merge,retainKeys' }),
    schedulingGates: byName('name'),
    readinessGates: { listType: 'atomic' },
  },
  V1Container: {
    ports: byName('containerPort', { listMapKeys: ['containerPort', 'protocol'] }),
    env: byName('name'),
    volumeMounts: byName('mountPath'),
    volumeDevices: byName('devicePath'),
    resizePolicy: { listType: 'atomic' },
  },
  V1EphemeralContainer: {
    ports: byName('containerPort', { listMapKeys: ['containerPort', 'protocol'] }),
    env: byName('name'),
    volumeMounts: byName('mountPath'),
    volumeDevices: byName('devicePath'),
  },
  V1ServiceSpec: {
    ports: byName('port', { listMapKeys: ['port', 'protocol'] }),
  },
  V1ObjectMeta: {
    finalizers: { patchStrategy: 'merge', listType: 'set' },
    ownerReferences: byName('uid'),
  },
  V1ServiceAccount: { secrets: byName('name') },
  V1PodStatus: { podIPs: byName('ip'), hostIPs: byName('ip') },
  V1NodeStatus: { addresses: byName('type') },
  V1NodeSpec: { podCIDRs: { patchStrategy: 'merge', listType: 'set' } },
  V1DeploymentSpec: {},
};

/** Struct fields whose value is replaced whole when its discriminator changes ($retainKeys). */
export const RETAIN_KEYS: Record<string, string[]> = {
  V1DeploymentSpec: ['strategy'],
};

export function semanticsFor(model: string, field: string, itemModel: string | undefined): Semantics {
  const s = LIST_SEMANTICS[model]?.[field];
  if (s) return s;
  // every status "conditions" list is a map keyed by type, as upstream tags them
  if (field === 'conditions' && itemModel) return byName('type');
  return { listType: 'atomic' };
}
