// The numbers the filters and scores read for every node of every cycle, packed
// in one Float64Array in the cycle's node order. A cycle visits hundreds of nodes
// (percentageOfNodesToScore); reading each node's objects scattered over a large
// heap cost more in the server than the arithmetic (profiles: ~350 ns a node).
// The table only ever says "fits" for a node the full filters would pass; every
// other node still goes through them, so reasons and results are the same.
import type { NodeFacts } from './fit.js';
import type { Resources } from './resources.js';
import { balancedScoreFrom, fitScoreFrom } from './scores.js';

const ALLOC_CPU = 0;
const ALLOC_MEMORY = 1;
const ALLOC_STORAGE = 2;
const ALLOC_PODS = 3;
const REQ_CPU = 4;
const REQ_MEMORY = 5;
const REQ_STORAGE = 6;
const REQ_PODS = 7;
const REQ_NZ_CPU = 8;
const REQ_NZ_MEMORY = 9;
/** non-zero: not ready, cordoned or hard-tainted (the full filters decide) */
const BLOCKED = 10;
/** PreferNoSchedule taints on the node */
const PREFER_TAINTS = 11;
const STRIDE = 12;

export interface TableRow {
  allocatable: Resources;
  requested: Resources;
  facts: NodeFacts;
}

export class NodeTable {
  readonly rows: Float64Array;

  constructor(readonly size: number) {
    this.rows = new Float64Array(size * STRIDE);
  }

  write(i: number, n: TableRow): void {
    const r = this.rows;
    const o = i * STRIDE;
    const a = n.allocatable;
    const q = n.requested;
    r[o + ALLOC_CPU] = a.cpu;
    r[o + ALLOC_MEMORY] = a.memory;
    r[o + ALLOC_STORAGE] = a.storage;
    r[o + ALLOC_PODS] = a.pods;
    r[o + REQ_CPU] = q.cpu;
    r[o + REQ_MEMORY] = q.memory;
    r[o + REQ_STORAGE] = q.storage;
    r[o + REQ_PODS] = q.pods;
    r[o + REQ_NZ_CPU] = q.nzCpu;
    r[o + REQ_NZ_MEMORY] = q.nzMemory;
    const f = n.facts;
    r[o + BLOCKED] = !f.ready || f.unschedulable || f.hardTaints.length > 0 ? 1 : 0;
    r[o + PREFER_TAINTS] = f.preferTaints.length;
  }

  /**
   * True only when the node passes NodeUnschedulable, TaintToleration (no hard
   * taints, ready) and NodeResourcesFit for want's cpu, memory, storage and pod
   * slot; the caller must have ruled out what the table does not hold
   * (extended resources, host ports, node affinity, spread, pod affinity).
   */
  fits(i: number, want: Resources): boolean {
    const r = this.rows;
    const o = i * STRIDE;
    if (r[o + BLOCKED] !== 0) return false;
    if (want.pods && r[o + REQ_PODS] + want.pods > r[o + ALLOC_PODS]) return false;
    if (want.cpu && r[o + REQ_CPU] + want.cpu > r[o + ALLOC_CPU]) return false;
    if (want.memory && r[o + REQ_MEMORY] + want.memory > r[o + ALLOC_MEMORY]) return false;
    if (want.storage && r[o + REQ_STORAGE] + want.storage > r[o + ALLOC_STORAGE]) return false;
    return true;
  }

  /** NodeResourcesFit's score for row i (scores.ts fitScoreOf on the packed numbers) */
  fitScore(i: number, want: Resources, least: boolean): number {
    const r = this.rows;
    const o = i * STRIDE;
    return fitScoreFrom(r[o + ALLOC_CPU], r[o + ALLOC_MEMORY], r[o + REQ_NZ_CPU] + want.nzCpu, r[o + REQ_NZ_MEMORY] + want.nzMemory, least);
  }

  /** BalancedAllocation's score for row i (scores.ts balancedScoreOf on the packed numbers) */
  balancedScore(i: number, want: Resources): number {
    const r = this.rows;
    const o = i * STRIDE;
    return balancedScoreFrom(r[o + ALLOC_CPU], r[o + ALLOC_MEMORY], r[o + REQ_CPU] + want.cpu, r[o + REQ_MEMORY] + want.memory);
  }

  /** how many PreferNoSchedule taints row i's node has */
  preferTaints(i: number): number {
    return this.rows[i * STRIDE + PREFER_TAINTS];
  }
}
