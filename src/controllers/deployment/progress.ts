// The Deployment's Progressing condition, as upstream's progress.go: progress
// (more pods updated, ready or available, fewer old ones) refreshes it; no
// progress for progressDeadlineSeconds turns it False with
// ProgressDeadlineExceeded, which `kubectl rollout status` reports as a failed
// rollout; a paused Deployment says so with Unknown/DeploymentPaused.

type Obj = Record<string, any>;

export interface ProgressInput {
  prev: Obj;
  next: Obj;
  paused: boolean;
  complete: boolean;
  newRsName?: string;
  /** progressDeadlineSeconds; undefined or 2147483647 disables the deadline */
  deadlineSeconds?: number;
  now: number;
}

export interface ProgressOutcome {
  condition: Obj;
  /** recheck after this many ms for the deadline, if it may still pass */
  recheckInMs?: number;
}

const NO_DEADLINE = 2147483647;

function progressed(prev: Obj, next: Obj): boolean {
  const old = (s: Obj) => (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (prev.updatedReplicas ?? 0) ||
    (next.readyReplicas ?? 0) > (prev.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (prev.availableReplicas ?? 0) ||
    old(next) < old(prev)
  );
}

export function progressingCondition(p: ProgressInput): ProgressOutcome {
  const stamp = new Date(p.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const prevCond = ((p.prev.conditions ?? []) as Obj[]).find((c) => c.type === 'Progressing');
  const make = (status: string, reason: string, message: string, touch: boolean): Obj => ({
    type: 'Progressing',
    status,
    lastUpdateTime: touch || !prevCond ? stamp : prevCond.lastUpdateTime,
    lastTransitionTime: prevCond?.status === status ? prevCond.lastTransitionTime : stamp,
    reason,
    message,
  });
  const rsName = p.newRsName ?? '';
  if (p.paused) {
    const same = prevCond?.reason === 'DeploymentPaused';
    return { condition: make('Unknown', 'DeploymentPaused', 'Deployment is paused', !same) };
  }
  if (prevCond?.reason === 'DeploymentPaused') return { condition: make('True', 'DeploymentResumed', 'Deployment is resumed', true) };
  if (p.complete) {
    const same = prevCond?.reason === 'NewReplicaSetAvailable';
    return { condition: make('True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, !same) };
  }
  // a rollout the pods keep moving, or one that just began, is progressing
  const fresh = !prevCond || prevCond.reason === 'NewReplicaSetAvailable' || prevCond.reason === 'DeploymentResumed' || !prevCond.message?.includes(`"${rsName}"`);
  if (progressed(p.prev, p.next) || fresh) {
    return withRecheck(make('True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true), p);
  }
  if (prevCond?.reason === 'ProgressDeadlineExceeded' && prevCond.message?.includes(`"${rsName}"`)) return { condition: prevCond };
  const deadline = p.deadlineSeconds;
  const since = Date.parse(prevCond?.lastUpdateTime ?? '') || p.now;
  if (deadline !== undefined && deadline !== NO_DEADLINE && p.now - since > deadline * 1000) {
    return { condition: make('False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, true) };
  }
  return withRecheck(prevCond ?? make('True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true), p);
}

function withRecheck(condition: Obj, p: ProgressInput): ProgressOutcome {
  if (p.deadlineSeconds === undefined || p.deadlineSeconds === NO_DEADLINE) return { condition };
  const since = Date.parse(condition.lastUpdateTime ?? '') || p.now;
  return { condition, recheckInMs: Math.max(0, since + p.deadlineSeconds * 1000 - p.now) + 1000 };
}
