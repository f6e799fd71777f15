// The node flags `skiff agent` and `skiff up` share for how containers run and
// when the node reports pressure: --runtime/--oci-runtime, --seccomp-default,
// --eviction-hard and --eviction-pressure-transition-period, the soft thresholds
// and how often pods are checked for eviction, and when unused images are
// removed (--image-gc-high-threshold and friends). Checked before
// anything starts, so a typo is a usage error, not a half-started cluster.
import { EvictionThresholdError, parseDurationMs, parseEvictionHard } from '../kubelet/eviction-thresholds.js';
import { parseEvictionSoft, parseGracePeriods } from '../kubelet/eviction/soft-thresholds.js';
import { KNOWN_HANDLERS } from '../runtime/oci/runtime-handlers.js';
import { DEFAULT_IMAGE_GC_PERIOD_MS, DEFAULT_IMAGE_GC_POLICY, validateImageGcPolicy, type ImageGcPolicy } from '../kubelet/image-gc.js';

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
  'image-gc-high-threshold': { type: 'string' },
  'image-gc-low-threshold': { type: 'string' },
  'minimum-image-ttl-duration': { type: 'string' },
  'image-maximum-gc-age': { type: 'string' },
  'image-gc-period': { type: 'string' },
} as const;

export const NODE_RUNTIME_USAGE = `[--runtime runc|crun] [--oci-runtime PATH] [--seccomp-default]
               [--eviction-hard memory.available<100Mi,nodefs.available<10%,...] [--eviction-pressure-transition-period 5m]
               [--eviction-soft memory.available<1Gi --eviction-soft-grace-period memory.available=1m30s]
               [--eviction-max-pod-grace-period 0] [--eviction-monitoring-interval 10s]
               [--image-gc-high-threshold 85] [--image-gc-low-threshold 80] [--minimum-image-ttl-duration 2m]
               [--image-maximum-gc-age 0] [--image-gc-period 5m]`;

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
  /** when unused images are removed (upstream's image GC policy) */
  imageGc?: ImageGcPolicy;
  /** how often the image collector runs (upstream's fixed ImageGCPeriod, 5m) */
  imageGcPeriodMs?: number;
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
  const gc = imageGcOptions(values);
  if ('error' in gc) return gc;
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
    ...gc,
  };
}

function imageGcOptions(values: Record<string, unknown>): { imageGc: ImageGcPolicy; imageGcPeriodMs: number } | { error: string } {
  const text = (flag: string) => values[flag] as string | undefined;
  const percent = (flag: string, dflt: number) => (text(flag) === undefined ? dflt : Number(text(flag)));
  for (const flag of ['image-gc-high-threshold', 'image-gc-low-threshold']) {
    if (text(flag) !== undefined && !/^\d+$/.test(text(flag)!)) return { error: `--${flag} must be a whole percentage from 0 to 100, got ${text(flag)}` };
  }
  try {
    const imageGc: ImageGcPolicy = {
      highThresholdPercent: percent('image-gc-high-threshold', DEFAULT_IMAGE_GC_POLICY.highThresholdPercent),
      lowThresholdPercent: percent('image-gc-low-threshold', DEFAULT_IMAGE_GC_POLICY.lowThresholdPercent),
      minAgeMs: text('minimum-image-ttl-duration') === undefined ? DEFAULT_IMAGE_GC_POLICY.minAgeMs : parseDurationMs(text('minimum-image-ttl-duration')!),
      maxAgeMs: text('image-maximum-gc-age') === undefined ? DEFAULT_IMAGE_GC_POLICY.maxAgeMs : parseDurationMs(text('image-maximum-gc-age')!),
    };
    const imageGcPeriodMs = text('image-gc-period') === undefined ? DEFAULT_IMAGE_GC_PERIOD_MS : parseDurationMs(text('image-gc-period')!);
    if (!(imageGcPeriodMs > 0)) return { error: `--image-gc-period must be a positive duration, got ${text('image-gc-period')}` };
    const bad = validateImageGcPolicy(imageGc);
    return bad ? { error: bad } : { imageGc, imageGcPeriodMs };
  } catch (e) {
    if (e instanceof EvictionThresholdError) return { error: e.message };
    throw e;
  }
}
