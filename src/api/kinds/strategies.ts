// Per-kind strategies keyed by "<plural>.<group>" (core group is empty: "pods.").
import type { Strategy } from '../resource.js';

export const strategies: Record<string, Strategy> = {};
