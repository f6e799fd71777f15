// The garbage collector, as upstream's: a graph of ownerReferences built from
// metadata informers over every deletable resource. Dependents whose owners are
// all gone are deleted (background); an owner deleting with "foregroundDeletion"
// waits for its blocking dependents to go first; with "orphan" its dependents
// lose the ownerReference and stay.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { DiscoveredResource } from '../../client/discovery.js';
import type { SharedInformerFactory } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { RestClient } from '../../client/rest-client.js';

interface Node {
  uid: string;
  resource: DiscoveredResource;
  namespace?: string;
  name: string;
  owners: OwnerReference[];
  deleting: boolean;
  finalizers: string[];
}

export class GarbageCollector extends QueueController {
  private readonly nodes = new Map<string, Node>();
  private readonly dependents = new Map<string, Set<string>>();

  constructor(
    private readonly client: RestClient,
    factory: SharedInformerFactory,
    private readonly resources: DiscoveredResource[],
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'garbage collection failed', keyField: 'uid', workers: 2, baseDelayMs: 50, maxDelayMs: 60_000, log });
    for (const r of resources) {
      if (!['list', 'watch', 'delete', 'get'].every((v) => r.verbs.includes(v))) continue;
      const inf = factory.informerFor(r, true);
      inf.addHandlers({
        onAdd: (o) => this.upsert(r, o),
        onUpdate: (_old, o) => this.upsert(r, o),
        onDelete: (o) => this.remove(o),
      });
    }
  }

  private upsert(resource: DiscoveredResource, o: KubeObject): void {
    const uid = o.metadata.uid;
    if (!uid) return;
    const prev = this.nodes.get(uid);
    for (const ref of prev?.owners ?? []) this.dependents.get(ref.uid)?.delete(uid);
    const node: Node = {
      uid,
      resource,
      namespace: o.metadata.namespace,
      name: o.metadata.name!,
      owners: o.metadata.ownerReferences ?? [],
      deleting: !!o.metadata.deletionTimestamp,
      finalizers: o.metadata.finalizers ?? [],
    };
    this.nodes.set(uid, node);
    for (const ref of node.owners) {
      if (!this.dependents.has(ref.uid)) this.dependents.set(ref.uid, new Set());
      this.dependents.get(ref.uid)!.add(uid);
      // an owner waiting in foreground deletion re-checks when a dependent changes
      if (this.nodes.get(ref.uid)?.deleting) this.queue.add(ref.uid);
    }
    if (node.owners.length || (node.deleting && node.finalizers.some((f) => f === 'orphan' || f === 'foregroundDeletion'))) this.queue.add(uid);
  }

  private remove(o: KubeObject): void {
    const uid = o.metadata.uid;
    if (!uid) return;
    const node = this.nodes.get(uid);
    this.nodes.delete(uid);
    for (const ref of node?.owners ?? []) {
      this.dependents.get(ref.uid)?.delete(uid);
      if (this.nodes.get(ref.uid)?.deleting) this.queue.add(ref.uid);
    }
    for (const dep of this.dependents.get(uid) ?? []) this.queue.add(dep);
  }

  protected override async sync(uid: string): Promise<void> {
    const node = this.nodes.get(uid);
    if (!node) return;
    if (node.deleting && node.finalizers.includes('orphan')) await this.orphanDependents(node);
    else if (node.deleting && node.finalizers.includes('foregroundDeletion')) await this.deleteDependentsFirst(node);
    if (node.owners.length) await this.collectIfOrphaned(node);
  }

  private async orphanDependents(node: Node): Promise<void> {
    for (const depUid of [...(this.dependents.get(node.uid) ?? [])]) {
      const dep = this.nodes.get(depUid);
      if (!dep) continue;
      const owners = dep.owners.filter((r) => r.uid !== node.uid);
      await this.client
        .patch(dep.resource, dep.namespace, dep.name, { metadata: { ownerReferences: owners.length ? owners : null } })
        .catch(ignoreNotFound);
    }
    await this.removeFinalizer(node, 'orphan');
  }

  private async deleteDependentsFirst(node: Node): Promise<void> {
    let blocking = 0;
    for (const depUid of [...(this.dependents.get(node.uid) ?? [])]) {
      const dep = this.nodes.get(depUid);
      if (!dep) continue;
      const ref = dep.owners.find((r) => r.uid === node.uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (!dep.deleting) {
        const hasOwnDependents = (this.dependents.get(dep.uid)?.size ?? 0) > 0;
        await this.client
          .delete(dep.resource, dep.namespace, dep.name, { propagationPolicy: hasOwnDependents ? 'Foreground' : 'Background', preconditions: { uid: dep.uid } })
          .catch(ignoreGone);
      }
    }
    // upstream waits only for dependents that block their owner's deletion
    if (blocking > 0) return;
    await this.removeFinalizer(node, 'foregroundDeletion');
  }

  private async collectIfOrphaned(node: Node): Promise<void> {
    for (const ref of node.owners) {
      if (await this.ownerExists(node, ref)) return;
    }
    this.log('deleting object whose owners are gone', { resource: node.resource.plural, namespace: node.namespace, name: node.name });
    await this.client.delete(node.resource, node.namespace, node.name, { propagationPolicy: 'Background', preconditions: { uid: node.uid } }).catch(ignoreGone);
  }

  private async ownerExists(node: Node, ref: OwnerReference): Promise<boolean> {
    const inGraph = this.nodes.get(ref.uid);
    if (inGraph) return true;
    // not in the caches: ask the API, so an informer lag never deletes a live dependent
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const r = this.resources.find((x) => x.group === group && x.kind === ref.kind) ?? this.resources.find((x) => x.group === group && x.version === version && x.kind === ref.kind);
    if (!r) return false;
    try {
      const live = await this.client.get<KubeObject>(r, r.namespaced ? node.namespace : undefined, ref.name);
      return live.metadata.uid === ref.uid;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return false;
      throw e;
    }
  }

  private async removeFinalizer(node: Node, finalizer: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let live: KubeObject;
      try {
        live = await this.client.get<KubeObject>(node.resource, node.namespace, node.name);
      } catch (e) {
        return ignoreNotFound(e);
      }
      if (live.metadata.uid !== node.uid || !(live.metadata.finalizers ?? []).includes(finalizer)) return;
      live.metadata.finalizers = (live.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      try {
        await this.client.update(node.resource, live);
        return;
      } catch (e) {
        if ((e as { code?: number }).code === 409) continue;
        return ignoreNotFound(e);
      }
    }
    throw new Error(`could not remove finalizer ${finalizer} from ${node.name}`);
  }
}

function ignoreNotFound(e: unknown): void {
  if ((e as { code?: number }).code !== 404) throw e;
}

/** 404, or 409 from a uid precondition: the object we meant is already gone. */
function ignoreGone(e: unknown): void {
  const code = (e as { code?: number }).code;
  if (code !== 404 && code !== 409) throw e;
}
