// Shared clock and object builders for the printer tests.
import type { KubeObject } from '../../../src/api/object.js';

export const now = new Date('2025-03-01T12:00:00Z');

/** An RFC 3339 timestamp `ago` milliseconds before `now`. */
export function ago(ms: number): string {
  return new Date(now.getTime() - ms).toISOString().replace('.000Z', 'Z');
}

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export type Any = Record<string, any>;

export function obj(name: string, rest: Any = {}, meta: Any = {}): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: ago(10 * MIN),
      resourceVersion: '42',
      ...meta,
    },
    ...rest,
  } as KubeObject;
}
