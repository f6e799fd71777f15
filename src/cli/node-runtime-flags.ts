// The node flags `skiff agent` and `skiff up` share for how containers run and
// when the node reports pressure: --runtime/--oci-runtime, --seccomp-default,
// --eviction-hard and --eviction-pressure-transition-period, the soft thresholds
// and how often pods are checked for eviction. Checked before
// anything starts, so a typo is a usage error, not a half-started cluster.
import { EvictionThresholdError, parseDurationMs, parseEvictionHard } from '../kubelet/eviction-thresholds.js';
import { parseEvictionSoft, parseGracePeriods } from '../kubelet/eviction/soft-thresholds.js';
import { KNOWN_HANDLERS } from '../runtime/oci/runtime-handlers.js';

export const NODE_RUNTIME_FLAGS = {
  runtime: { type: 'string', default: 'runc' },
  'oci-runtime': { type: 'string' },
  'seccomp-default': { type: 'boolean', default: false },
  'eviction-hard': { type: 'string' },
  'eviction-pressure-transition-period': { type: 'string', default: '5m' },
  'eviction-soft': { type: 'string' },
  'eviction-soft-grace-period': { type: 'string' },
  'eviction-max-pod-grace-period': { type: 'string' },
  'eviction-monitoring-interval': { type: 'string' },
} as const;

export const NODE_RUNTIME_USAGE = `[--runtime runc|crun] [--oci-runtime PATH] [--seccomp-default]
               [--eviction-hard memory.available<100Mi,nodefs.available<10%,...] [--eviction-pressure-transition-period 5m]
               [--eviction-soft memory.available<1Gi --eviction-soft-grace-period memory.available=1m30s]
               [--eviction-max-pod-grace-period 0] [--eviction-monitoring-interval 10s]`;

export interface NodeRuntimeOptions {
  runtime?: string;
  ociRuntime?: string;
  seccompDefault?: boolean;
  evictionHard?: string;
  evictionPressureTransitionPeriod?: string;
  evictionSoft?: string;
  evictionSoftGracePeriod?: string;
  /** seconds; negative: the pod's own grace period */
  evictionMaxPodGracePeriod?: number;
  /** how often pods are checked for eviction ("10s"); 0 turns pod eviction off, pressure is still reported */
  evictionMonitoringInterval?: string;
}

export function nodeRuntimeOptions(values: Record<string, unknown>): NodeRuntimeOptions | { error: string } {
  const runtime = values.runtime as string;
  if (!values['oci-runtime'] && !KNOWN_HANDLERS.includes(runtime)) return { error: `--runtime must be ${KNOWN_HANDLERS.join(' or ')} (or give --oci-runtime PATH), got ${runtime}` };
  const evictionHard = values['eviction-hard'] as string | undefined;
  const period = values['eviction-pressure-transition-period'] as string;
  const soft = values['eviction-soft'] as string | undefined;
  const softGrace = values['eviction-soft-grace-period'] as string | undefined;
  const maxGraceText = values['eviction-max-pod-grace-period'] as string | undefined;
  const interval = values['eviction-monitoring-interval'] as string | undefined;
  const maxGrace = maxGraceText === undefined ? undefined : Number(maxGraceText);
  if (maxGrace !== undefined && !Number.isInteger(maxGrace)) return { error: `--eviction-max-pod-grace-period must be a whole number of seconds, got ${maxGraceText}` };
  try {
    if (evictionHard !== undefined) parseEvictionHard(evictionHard);
    parseDurationMs(period);
    if (softGrace !== undefined) parseGracePeriods(softGrace);
    parseEvictionSoft(soft, softGrace);
    if (interval !== undefined) parseDurationMs(interval);
  } catch (e) {
    if (e instanceof EvictionThresholdError) return { error: e.message };
    throw e;
  }
  return {
    runtime, ociRuntime: values['oci-runtime'] as string | undefined, seccompDefault: values['seccomp-default'] === true, evictionHard, evictionPressureTransitionPeriod: period,
    ...(soft !== undefined ? { evictionSoft: soft } : {}), ...(softGrace !== undefined ? { evictionSoftGracePeriod: softGrace } : {}),
    ...(maxGrace !== undefined ? { evictionMaxPodGracePeriod: maxGrace } : {}), ...(interval !== undefined ? { evictionMonitoringInterval: interval } : {}),
  };
}
