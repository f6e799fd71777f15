// One committed change as the watch cache keeps it, and its translation for a
// watcher's predicate. As upstream's cacheWatcher does: an object that stops
// matching is a DELETED (its last matching state, at the event's revision), one
// that starts matching is an ADDED. Translations are made once per event and
// shared by every watcher that needs them, so the API edge serializes each once.
import type { KubeObject } from '../api/object.js';
import type { Predicate, WatchEvent } from './store.js';

export interface CachedEvent {
  revision: number;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** the new state; for DELETED the last state, stamped with the deletion revision */
  object: KubeObject;
  /** the state before this change, if the key existed */
  prevObject?: KubeObject;
  /** when the cache received it (ms), for history eviction */
  time: number;
  /** the event as-is, for watchers without a predicate or whose predicate agrees */
  event: WatchEvent;
  asAdded?: WatchEvent;
  asDeleted?: WatchEvent;
}

export function eventFor(ce: CachedEvent, predicate: Predicate | undefined): WatchEvent | undefined {
  if (!predicate) return ce.event;
  const curPasses = ce.type !== 'DELETED' && predicate(ce.object);
  const oldPasses = ce.prevObject !== undefined && predicate(ce.prevObject);
  if (curPasses && oldPasses) return ce.event;
  if (curPasses) {
    if (ce.type === 'ADDED') return ce.event;
    return (ce.asAdded ??= { type: 'ADDED', object: ce.object });
  }
  if (oldPasses) {
    if (ce.type === 'DELETED') return ce.event;
    const prev = ce.prevObject!;
    return (ce.asDeleted ??= {
      type: 'DELETED',
      object: { ...prev, metadata: { ...prev.metadata, resourceVersion: String(ce.revision) } },
    });
  }
  return undefined;
}
