// A pod that has finished for good (phase Succeeded or Failed): it holds no
// resources, takes no traffic, and its containers will not run again.
import type { KubeObject } from '../object.js';

export const isTerminalPhase = (phase: unknown): boolean => phase === 'Succeeded' || phase === 'Failed';

export const isTerminalPod = (pod: KubeObject): boolean => isTerminalPhase((pod.status as { phase?: unknown } | undefined)?.phase);
