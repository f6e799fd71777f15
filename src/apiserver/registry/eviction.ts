// pods/eviction, as upstream's EvictionREST: a pod covered by a
// PodDisruptionBudget is deleted only when the budget allows a disruption, and
// the budget's disruptionsAllowed is spent with a compare-and-swap on its
// resourceVersion (a conflict re-reads and retries). Pods that are not running
// (pending, finished, already deleting) are evicted freely.
import { ApiError, errors } from '../../api/errors.js';
import { findResource } from '../../api/kinds/resources.js';
import { isPodReady } from '../../api/kinds/service-endpoints.js';
import type { KubeObject } from '../../api/object.js';
import { selectorFromLabelSelector } from '../../api/selectors/label-selector.js';
import type { DeleteOptions, GenericRegistry, WriteOptions } from './generic-registry.js';
import { isTerminalPod } from '../../api/kinds/pod-phase.js';

type Obj = Record<string, any>;

const PDB_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
const MAX_DISRUPTED_PODS = 2000;
// conflicts with the controller's status writes and other evictions are re-read and retried
const MAX_ATTEMPTS = 20;

const pods = () => findResource('', 'pods')!;
const pdbs = () => findResource('policy', 'poddisruptionbudgets')!;

function nowTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Reads the Eviction body: its deleteOptions, checked as upstream checks them. */
function deleteOptionsOf(name: string, body: Obj, dryRunQuery: boolean): DeleteOptions {
  const evName = (body.metadata as Obj | undefined)?.name;
  if (evName !== undefined && evName !== '' && evName !== name) throw errors.badRequest(`name in URL does not match name in Eviction object`);
  const del = (body.deleteOptions ?? {}) as Obj;
  if (typeof del !== 'object' || Array.isArray(del)) throw errors.badRequest('deleteOptions must be an object');
  const dryRun = del.dryRun;
  if (dryRun !== undefined && dryRun !== null && !(Array.isArray(dryRun) && dryRun.every((v) => v === 'All'))) {
    throw errors.invalid('policy', 'Eviction', name, [{ reason: 'FieldValueNotSupported', field: 'deleteOptions.dryRun', message: `Unsupported value: ${JSON.stringify(dryRun)}: supported values: "All"` }]);
  }
  const grace = del.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)) {
    throw errors.invalid('policy', 'Eviction', name, [{ reason: 'FieldValueInvalid', field: 'deleteOptions.gracePeriodSeconds', message: `Invalid value: ${JSON.stringify(grace)}: must be a non-negative integer` }]);
  }
  return {
    gracePeriodSeconds: typeof grace === 'number' ? grace : undefined,
    preconditions: del.preconditions ?? undefined,
    propagationPolicy: del.propagationPolicy ?? undefined,
    dryRun: dryRunQuery || (Array.isArray(dryRun) && dryRun.length > 0),
  };
}

function writeOpts(dryRun: boolean): WriteOptions {
  return { dryRun, fieldManager: 'skiff-eviction', fieldValidation: 'Ignore', warnings: [] };
}

export async function evictPod(registry: GenericRegistry, ns: string, name: string, body: Obj, dryRunQuery: boolean): Promise<void> {
  const opts = deleteOptionsOf(name, body, dryRunQuery);
  const userPinnedVersion = !!opts.preconditions?.resourceVersion;
  let pod: KubeObject | undefined;
  // a pod the budget does not guard is deleted at once; a conflict (it changed
  // under us) re-reads it, unless the caller pinned the resourceVersion
  for (let attempt = 0; ; attempt++) {
    pod = await registry.get(pods(), 'v1', ns, name);
    if (!canIgnoreBudget(pod)) break;
    const del = { ...opts };
    // a pending pod could become ready meanwhile: delete only the version judged
    if (mayBecomeReady(pod) && !userPinnedVersion) del.preconditions = { ...(opts.preconditions ?? {}), resourceVersion: pod.metadata.resourceVersion };
    try {
      return await deleteWithCondition(registry, pod, del);
    } catch (e) {
      if ((e as ApiError).reason === 'Conflict' && !userPinnedVersion && attempt < MAX_ATTEMPTS) continue;
      throw e;
    }
  }
  const matching = (await registry.list(pdbs(), 'v1', ns, {})).items.filter((b) => {
    try {
      return selectorFromLabelSelector((b.spec as Obj | undefined)?.selector).matches(pod.metadata.labels ?? {});
    } catch {
      return false; // a budget with a bad selector guards nothing, as upstream
    }
  });
  if (matching.length === 0) return deleteWithCondition(registry, pod, opts);
  // upstream answers this with a bare 500 Status carrying exactly this message
  if (matching.length > 1) throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdbName = matching[0].metadata.name!;
  const unhealthyPass = unhealthyMayGo(matching[0], pod);
  if (!unhealthyPass) {
    await spendBudget(registry, ns, pdbName, pod, opts.dryRun);
    return deleteWithCondition(registry, pod, opts);
  }
  // an unready pod passes without spending: it must still be that pod, unready, when deleted
  const del = { ...opts, preconditions: { ...(opts.preconditions ?? {}), resourceVersion: pod.metadata.resourceVersion } };
  try {
    await deleteWithCondition(registry, pod, del);
  } catch (e) {
    // it changed (maybe became ready) since judged: the client retries, as upstream
    if ((e as ApiError).reason === 'Conflict' && !userPinnedVersion) throw stillProcessing(pdbName);
    throw e;
  }
}

/** Upstream ignores budgets for pods that cannot be disrupting anything. */
function canIgnoreBudget(pod: KubeObject): boolean {
  return isTerminalPod(pod) || (pod.status as Obj | undefined)?.phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** upstream's shouldEnforceResourceVersion: finished or deleting pods cannot turn ready again. */
function mayBecomeReady(pod: KubeObject): boolean {
  return !(isTerminalPod(pod) || pod.metadata.deletionTimestamp);
}

/** An unready pod does not count as healthy: it may go without spending the budget (unhealthyPodEvictionPolicy). */
function unhealthyMayGo(pdb: KubeObject, pod: KubeObject): boolean {
  if (isPodReady(pod)) return false;
  const spec = (pdb.spec ?? {}) as Obj;
  const status = (pdb.status ?? {}) as Obj;
  if (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow') return true;
  // IfHealthyBudget (the default): only while the application is not disrupted already
  return (status.desiredHealthy ?? 0) > 0 && (status.currentHealthy ?? 0) >= status.desiredHealthy;
}

/** Checks the budget and spends one disruption, noting the pod in status.disruptedPods. */
async function spendBudget(registry: GenericRegistry, ns: string, pdbName: string, pod: KubeObject, dryRun: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const pdb = await registry.get(pdbs(), 'v1', ns, pdbName);
    const status = (pdb.status ?? {}) as Obj;
    // the controller has not computed this spec yet: its numbers cannot be trusted
    if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw stillProcessing(pdbName);
    const allowed = status.disruptionsAllowed ?? 0;
    if (allowed < 0) throw forbidden(pdbName, 'pdb disruptions allowed is negative');
    if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
      throw forbidden(pdbName, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    }
    if (allowed === 0) throw violation(`The disruption budget ${pdbName} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`, 0);
    if (dryRun) return;
    const next = structuredClone(pdb);
    const st = next.status as Obj;
    st.disruptionsAllowed = allowed - 1;
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [pod.metadata.name!]: nowTime() };
    if (st.disruptionsAllowed === 0) st.conditions = insufficientPods(st);
    try {
      // next carries the read resourceVersion: a concurrent eviction makes this a Conflict
      await registry.update(pdbs(), 'v1', ns, pdbName, next, writeOpts(false), 'status');
      return;
    } catch (e) {
      if ((e as ApiError).reason === 'Conflict' && attempt < MAX_ATTEMPTS) continue;
      throw e;
    }
  }
}

/** DisruptionAllowed turns False (InsufficientPods); its lastTransitionTime stays if it already was. */
function insufficientPods(st: Obj): Obj[] {
  const conds = (st.conditions ?? []) as Obj[];
  const prev = conds.find((c) => c.type === 'DisruptionAllowed');
  const cond = {
    type: 'DisruptionAllowed',
    status: 'False',
    observedGeneration: st.observedGeneration ?? 0,
    lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : nowTime(),
    reason: 'InsufficientPods',
    message: '',
  };
  return [...conds.filter((c) => c !== prev), cond];
}

function violation(cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', PDB_VIOLATION, { retryAfterSeconds, causes: [{ reason: 'DisruptionBudget', message: cause }] });
}

/** upstream's createTooManyRequestsError: retry after 10 s. */
function stillProcessing(pdbName: string): ApiError {
  return violation(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
}

function forbidden(pdbName: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `poddisruptionbudget.policy "${pdbName}" is forbidden: ${why}`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudget' });
}

/** Marks the pod with a DisruptionTarget condition (as upstream), then deletes it with the caller's options. */
async function deleteWithCondition(registry: GenericRegistry, pod: KubeObject, opts: DeleteOptions): Promise<void> {
  const ns = pod.metadata.namespace!;
  const name = pod.metadata.name!;
  if (!opts.dryRun && !pod.metadata.deletionTimestamp) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cur = attempt === 0 ? pod : await registry.get(pods(), 'v1', ns, name);
      // the delete's preconditions hold for the condition write too: the delete then refuses with 409
      if (opts.preconditions?.resourceVersion && cur.metadata.resourceVersion !== opts.preconditions.resourceVersion) break;
      if (opts.preconditions?.uid && cur.metadata.uid !== opts.preconditions.uid) break;
      const next = structuredClone(cur);
      const status = (next.status ??= {}) as Obj;
      const conds = ((status.conditions ?? []) as Obj[]).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: nowTime(), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
      status.conditions = conds;
      try {
        const stored = await registry.update(pods(), 'v1', ns, name, next, writeOpts(false), 'status');
        // the condition write moved the resourceVersion the precondition pinned
        if (opts.preconditions?.resourceVersion) opts.preconditions = { ...opts.preconditions, resourceVersion: stored.metadata.resourceVersion };
        break;
      } catch (e) {
        if ((e as ApiError).reason !== 'Conflict') throw e;
      }
    }
  }
  await registry.delete(pods(), 'v1', ns, name, opts);
}
