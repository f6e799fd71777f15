// What one pod-gc pass deletes, from the cached pods and nodes (no I/O, so the
// rules are unit-tested). The controller confirms orphans with the API server.
import type { KubeObject } from '../../api/object.js';
import { isTerminalPod } from '../../api/kinds/pod-phase.js';

type Obj = Record<string, any>;

export interface PodGcOptions {
  /** how long a node must be missing from the cache before its pods are suspects (upstream: 40 s) */
  quarantineMs: number;
  /** finished pods kept at most (upstream's --terminated-pod-gc-threshold, 12500) */
  terminatedThreshold: number;
}

export interface PodGcPlan {
  terminated: KubeObject[];
  unscheduledTerminating: KubeObject[];
  /** node name -> its pods, for nodes missing from the cache longer than the quarantine */
  orphanedByNode: Map<string, KubeObject[]>;
}

/** missingSince is updated in place: nodes seen again are forgotten, new absences stamped with now. */
export function planPodGc(pods: KubeObject[], nodes: Set<string>, missingSince: Map<string, number>, now: number, opts: PodGcOptions): PodGcPlan {
  const terminatedPods = pods.filter((p) => isTerminalPod(p) && !p.metadata.deletionTimestamp);
  const excess = terminatedPods.length - opts.terminatedThreshold;
  const terminated =
    excess > 0
      ? terminatedPods
          .sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
          .slice(0, excess)
      : [];

  const unscheduledTerminating = pods.filter((p) => p.metadata.deletionTimestamp && !(p.spec as Obj | undefined)?.nodeName);

  for (const name of [...missingSince.keys()]) if (nodes.has(name)) missingSince.delete(name);
  const orphanedByNode = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const node = (p.spec as Obj | undefined)?.nodeName as string | undefined;
    if (!node || nodes.has(node)) continue;
    const since = missingSince.get(node) ?? now;
    missingSince.set(node, since);
    if (now - since < opts.quarantineMs) continue;
    const list = orphanedByNode.get(node) ?? [];
    list.push(p);
    orphanedByNode.set(node, list);
  }
  return { terminated, unscheduledTerminating, orphanedByNode };
}
