// Upstream's Priority admission plugin: a new pod's spec.priorityClassName
// becomes spec.priority (and spec.preemptionPolicy) from its PriorityClass; no
// name takes the global default class, else priority 0. system-node-critical and
// system-cluster-critical exist in every cluster. Classes are read from a watch
// of storage (as upstream reads a lister); a name the watch has not delivered yet
// is read from storage directly.
import { errors } from '../../api/errors.js';
import { findResource } from '../../api/kinds/resources.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { StorageError, type Storage } from '../../storage/store.js';
import type { GenericRegistry } from './generic-registry.js';
import { collectionPrefix, objectKey, resourcePrefix } from './keys.js';

type Obj = Record<string, any>;

export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

const CLASSES = () => findResource('scheduling.k8s.io', 'priorityclasses')!;

export class PriorityAdmission {
  private readonly classes = new Map<string, KubeObject>();

  constructor(private readonly storage: Storage) {}

  /** Follows PriorityClasses until the store closes. */
  start(): void {
    const info = CLASSES();
    const w = this.storage.resource(resourcePrefix(info)).watch(collectionPrefix(info));
    void (async () => {
      for await (const ev of w) {
        const name = ev.object.metadata?.name;
        if (!name || ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
        if (ev.type === 'DELETED') this.classes.delete(name);
        else this.classes.set(name, ev.object);
      }
    })().catch(() => {});
  }

  private async lookup(name: string): Promise<KubeObject | undefined> {
    const hit = this.classes.get(name);
    if (hit) return hit;
    const info = CLASSES();
    try {
      return await this.storage.resource(resourcePrefix(info)).get(objectKey(info, undefined, name));
    } catch (e) {
      if (e instanceof StorageError && e.code === 'KeyNotFound') return undefined;
      throw e;
    }
  }

  private globalDefault(): KubeObject | undefined {
    // several global defaults: the lowest value wins, as upstream documents
    let best: KubeObject | undefined;
    for (const c of this.classes.values()) if ((c as Obj).globalDefault && (!best || (c as Obj).value < (best as Obj).value)) best = c;
    return best;
  }

  async admit(info: ResourceInfo, pod: KubeObject): Promise<void> {
    if (info.group !== '' || info.plural !== 'pods') return;
    const spec = pod.spec as Obj | undefined;
    if (!spec || typeof spec !== 'object') return;
    let priority = 0;
    let policy: string | undefined = 'PreemptLowerPriority';
    const name = spec.priorityClassName as string | undefined;
    if (name) {
      const pc = (await this.lookup(name)) as Obj | undefined;
      if (pc) {
        priority = pc.value;
        policy = pc.preemptionPolicy ?? 'PreemptLowerPriority';
      } else if (name in SYSTEM_PRIORITY_CLASSES) priority = SYSTEM_PRIORITY_CLASSES[name];
      else throw errors.forbidden(`pods "${pod.metadata.name ?? ''}" is forbidden: no PriorityClass with name ${name} was found`);
    } else {
      const d = this.globalDefault() as Obj | undefined;
      if (d) {
        spec.priorityClassName = d.metadata.name;
        priority = d.value;
        policy = d.preemptionPolicy ?? 'PreemptLowerPriority';
      }
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw errors.forbidden(`pods "${pod.metadata.name ?? ''}" is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      throw errors.forbidden(`pods "${pod.metadata.name ?? ''}" is forbidden: the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }
}

/** The two system classes, created at start as upstream's API server does. */
export async function ensureSystemPriorityClasses(registry: GenericRegistry): Promise<void> {
  for (const [name, value] of Object.entries(SYSTEM_PRIORITY_CLASSES)) {
    const description = name === 'system-node-critical' ? 'Used for system critical pods that must not be moved from their current node.' : 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.';
    const body = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description };
    try {
      await registry.create(CLASSES(), 'v1', undefined, body, { dryRun: false, fieldManager: 'skiff-apiserver', fieldValidation: 'Strict', warnings: [] });
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'AlreadyExists') throw e;
    }
  }
}
