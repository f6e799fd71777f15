// The node flags `skiff agent` and `skiff up` share for how containers run and
// when the node reports pressure: --runtime/--oci-runtime, --seccomp-default,
// --eviction-hard and --eviction-pressure-transition-period. Checked before
// anything starts, so a typo is a usage error, not a half-started cluster.
import { EvictionThresholdError, parseDurationMs, parseEvictionHard } from '../kubelet/eviction-thresholds.js';
import { KNOWN_HANDLERS } from '../runtime/oci/runtime-handlers.js';

export const NODE_RUNTIME_FLAGS = {
  runtime: { type: 'string', default: 'runc' },
  'oci-runtime': { type: 'string' },
  'seccomp-default': { type: 'boolean', default: false },
  'eviction-hard': { type: 'string' },
  'eviction-pressure-transition-period': { type: 'string', default: '5m' },
} as const;

export const NODE_RUNTIME_USAGE = `[--runtime runc|crun] [--oci-runtime PATH] [--seccomp-default]
               [--eviction-hard memory.available<100Mi,nodefs.available<10%,...] [--eviction-pressure-transition-period 5m]`;

export interface NodeRuntimeOptions {
  runtime?: string;
  ociRuntime?: string;
  seccompDefault?: boolean;
  evictionHard?: string;
  evictionPressureTransitionPeriod?: string;
}

export function nodeRuntimeOptions(values: Record<string, unknown>): NodeRuntimeOptions | { error: string } {
  const runtime = values.runtime as string;
  if (!values['oci-runtime'] && !KNOWN_HANDLERS.includes(runtime)) return { error: `--runtime must be ${KNOWN_HANDLERS.join(' or ')} (or give --oci-runtime PATH), got ${runtime}` };
  const evictionHard = values['eviction-hard'] as string | undefined;
  const period = values['eviction-pressure-transition-period'] as string;
  try {
    if (evictionHard !== undefined) parseEvictionHard(evictionHard);
    parseDurationMs(period);
  } catch (e) {
    if (e instanceof EvictionThresholdError) return { error: e.message };
    throw e;
  }
  return { runtime, ociRuntime: values['oci-runtime'] as string | undefined, seccompDefault: values['seccomp-default'] === true, evictionHard, evictionPressureTransitionPeriod: period };
}
