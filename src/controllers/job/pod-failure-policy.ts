// A Job's podFailurePolicy, as upstream: the first rule matching a failed pod
// (by its containers' exit codes, or by its conditions such as DisruptionTarget)
// decides whether the failure fails the Job, fails its index, is ignored, or is
// counted against the backoff limit (the default).
import type { KubeObject } from '../../api/object.js';

type Obj = Record<string, any>;

export type FailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface FailureVerdict {
  action: FailureAction;
  /** why, for FailJob's condition message */
  message?: string;
}

function exitCodeMatch(pod: KubeObject, req: Obj): { container: string; code: number } | undefined {
  const statuses = [...(((pod.status as Obj)?.initContainerStatuses ?? []) as Obj[]), ...(((pod.status as Obj)?.containerStatuses ?? []) as Obj[])];
  const values = new Set((req.values ?? []) as number[]);
  for (const c of statuses) {
    if (req.containerName && c.name !== req.containerName) continue;
    const code = (c.state?.terminated?.exitCode ?? c.lastState?.terminated?.exitCode) as number | undefined;
    // a container that succeeded is no evidence either way
    if (code === undefined || code === 0) continue;
    if (req.operator === 'In' ? values.has(code) : !values.has(code)) return { container: c.name, code };
  }
  return undefined;
}

function conditionMatch(pod: KubeObject, patterns: Obj[]): Obj | undefined {
  const conditions = ((pod.status as Obj)?.conditions ?? []) as Obj[];
  return patterns.find((p) => conditions.some((c) => c.type === p.type && c.status === (p.status ?? 'True')));
}

/** What the policy says about one failed pod; without a matching rule the failure counts. */
export function judgeFailure(job: KubeObject, pod: KubeObject): FailureVerdict {
  const rules = (((job.spec as Obj)?.podFailurePolicy?.rules ?? []) as Obj[]);
  const podRef = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of rules.entries()) {
    if (rule.onExitCodes) {
      const m = exitCodeMatch(pod, rule.onExitCodes);
      if (m) return { action: rule.action, message: `Container ${m.container} for pod ${podRef} failed with exit code ${m.code} matching ${rule.action} rule at index ${i}` };
    } else if (rule.onPodConditions) {
      const m = conditionMatch(pod, rule.onPodConditions);
      if (m) return { action: rule.action, message: `Pod ${podRef} has condition ${m.type} matching ${rule.action} rule at index ${i}` };
    }
  }
  return { action: 'Count' };
}
