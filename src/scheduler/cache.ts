// The scheduler's cache as upstream's: per node its pods (bound, and assumed while
// their binding is in flight) with the summed requests and host ports kept up to
// date incrementally, so a scheduling cycle never walks every pod in the cluster.
import type { KubeObject } from '../api/object.js';
import { addPorts, nodeFacts, type NodeFacts, type NodeInfo } from './fit.js';
import { addResources, allocatable, emptyResources, podRequests, type Resources } from './resources.js';
import type { ClusterView } from './framework.js';
import { NodeTable } from './node-table.js';
import { hasAnyTerms, podTerms, type NamespaceLabels } from './inter-pod-affinity.js';

export class CachedNode implements NodeInfo {
  readonly podMap = new Map<string, KubeObject>();
  requested = emptyResources();
  usedPorts = new Set<string>();
  allocatable: Resources;
  facts: NodeFacts;
  private list?: KubeObject[];
  /** the cycle order's table and this node's row in it (kept current on every change) */
  private table?: NodeTable;
  private row = -1;

  /** present=false: a placeholder for pods on a node the cache has not seen (or no longer has) */
  constructor(
    public node: KubeObject,
    public present: boolean,
  ) {
    this.allocatable = allocatable(node);
    this.facts = nodeFacts(node);
  }

  setNode(node: KubeObject): void {
    this.node = node;
    this.present = true;
    this.allocatable = allocatable(node);
    this.facts = nodeFacts(node);
    this.table?.write(this.row, this);
  }

  /** Joins a new cycle order's table at row i. */
  placeIn(table: NodeTable, i: number): void {
    this.table = table;
    this.row = i;
    table.write(i, this);
  }

  get pods(): KubeObject[] {
    return (this.list ??= [...this.podMap.values()]);
  }

  add(key: string, pod: KubeObject): void {
    this.remove(key);
    this.podMap.set(key, pod);
    addResources(this.requested, podRequests(pod));
    addPorts(this.usedPorts, pod);
    this.list = undefined;
    this.table?.write(this.row, this);
  }

  remove(key: string): void {
    const old = this.podMap.get(key);
    if (!old) return;
    this.podMap.delete(key);
    addResources(this.requested, podRequests(old), -1);
    this.usedPorts = new Set();
    for (const p of this.podMap.values()) addPorts(this.usedPorts, p);
    this.list = undefined;
    this.table?.write(this.row, this);
  }
}

interface Placement {
  node: string;
  pod: KubeObject;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, CachedNode>();
  private readonly placements = new Map<string, Placement>();
  /** pods carrying pod (anti-)affinity terms, and those with required anti-affinity */
  private readonly withAffinity = new Set<string>();
  private readonly withAnti = new Set<string>();
  private order?: CachedNode[];
  private table?: NodeTable;
  private readonly nominatedTo = new Map<string, { node: string; pod: KubeObject }>();
  private nominatedByNode?: Map<string, KubeObject[]>;

  /** A pending pod nominated to node by a preemption (node undefined: no longer). */
  nominate(key: string, pod: KubeObject, node: string | undefined): void {
    const cur = this.nominatedTo.get(key);
    if (!node && !cur) return;
    if (node) this.nominatedTo.set(key, { node, pod });
    else this.nominatedTo.delete(key);
    this.nominatedByNode = undefined;
  }

  nominated(): Map<string, KubeObject[]> {
    if (!this.nominatedByNode) {
      this.nominatedByNode = new Map();
      for (const { node, pod } of this.nominatedTo.values()) {
        const l = this.nominatedByNode.get(node) ?? [];
        l.push(pod);
        this.nominatedByNode.set(node, l);
      }
    }
    return this.nominatedByNode;
  }

  setNode(node: KubeObject): void {
    const name = node.metadata.name!;
    const cur = this.nodes.get(name);
    if (cur) {
      if (!cur.present) this.order = undefined;
      cur.setNode(node);
    } else {
      this.nodes.set(name, new CachedNode(node, true));
      this.order = undefined;
    }
  }

  removeNode(name: string): void {
    const cur = this.nodes.get(name);
    if (!cur) return;
    // pods still placed there keep a placeholder until they go, as upstream
    if (cur.podMap.size) cur.present = false;
    else this.nodes.delete(name);
    this.order = undefined;
  }

  /** Bound (assumed=false) or being bound (assumed=true) to node. */
  addPod(key: string, pod: KubeObject, node: string, assumed: boolean): void {
    this.removePod(key);
    let n = this.nodes.get(node);
    if (!n) this.nodes.set(node, (n = new CachedNode({ metadata: { name: node } }, false)));
    n.add(key, pod);
    this.placements.set(key, { node, pod, assumed });
    const t = podTerms(pod);
    if (hasAnyTerms(t)) this.withAffinity.add(key);
    if (t.requiredAnti.length) this.withAnti.add(key);
  }

  removePod(key: string): void {
    const p = this.placements.get(key);
    if (!p) return;
    this.placements.delete(key);
    this.withAffinity.delete(key);
    this.withAnti.delete(key);
    const n = this.nodes.get(p.node);
    n?.remove(key);
    if (n && !n.present && n.podMap.size === 0) this.nodes.delete(p.node);
  }

  isAssumed(key: string): boolean {
    return this.placements.get(key)?.assumed === true;
  }

  placement(key: string): string | undefined {
    return this.placements.get(key)?.node;
  }

  nodeInfos(): CachedNode[] {
    if (!this.order) {
      this.order = [...this.nodes.values()].filter((n) => n.present);
      // a new table: nodes no longer in the order keep writing to the old one, which nothing reads
      this.table = new NodeTable(this.order.length);
      this.order.forEach((n, i) => n.placeIn(this.table!, i));
    }
    return this.order;
  }

  nodeInfo(name: string): CachedNode | undefined {
    return this.nodes.get(name);
  }

  private *placed(keys: Set<string>): Iterable<{ pod: KubeObject; node: KubeObject }> {
    for (const k of keys) {
      const p = this.placements.get(k);
      const n = p && this.nodes.get(p.node);
      if (p && n?.present) yield { pod: p.pod, node: n.node };
    }
  }

  view(nsLabels: NamespaceLabels): ClusterView {
    // iterables, not iterators: a cycle may walk them more than once
    const nodes = this.nodeInfos();
    return {
      nodes,
      table: this.table,
      antiPods: { [Symbol.iterator]: () => this.placed(this.withAnti)[Symbol.iterator]() },
      affinityPods: { [Symbol.iterator]: () => this.placed(this.withAffinity)[Symbol.iterator]() },
      nsLabels,
      nominated: this.nominatedTo.size ? this.nominated() : undefined,
    };
  }
}
