// The slices this controller wrote or deleted whose watch event has not reached
// its informer yet. Without it, the sync that follows a write (the next pod
// change, often milliseconds later) works from the cache's older copy: its
// update is refused as a conflict and retried with back-off until the watch
// catches up (seen as a second of delay in removing a deleted pod's endpoint),
// and a slice it just created is not seen and is created twice. Upstream's
// endpointSliceTracker answers the same problem by refusing to sync until the
// cache has caught up; here the written copy stands in for the cached one.
import type { KubeObject } from '../../api/object.js';
import { keyOf } from '../../client/informer.js';

export class WrittenSlices {
  /** namespace/name -> the object as written, or null once deleted */
  private readonly pending = new Map<string, KubeObject | null>();

  wrote(slice: KubeObject): void {
    this.pending.set(keyOf(slice), slice);
  }

  deleted(namespace: string, name: string): void {
    this.pending.set(`${namespace}/${name}`, null);
  }

  /** The informer delivered this version (or the slice's deletion): the cache has caught up with our write. */
  seen(slice: KubeObject, gone = false): void {
    const key = keyOf(slice);
    if (!this.pending.has(key)) return;
    const w = this.pending.get(key);
    if (gone || (w && w.metadata.resourceVersion === slice.metadata.resourceVersion)) this.pending.delete(key);
  }

  /** Forgets what was written for these slices (after a conflict: the cache is the better guess then). */
  forget(namespace: string, names: Iterable<string>): void {
    for (const n of names) this.pending.delete(`${namespace}/${n}`);
  }

  /** The cached slices of a namespace with our newer writes and deletions laid over them. */
  overlay(namespace: string, cached: KubeObject[]): KubeObject[] {
    const byKey = new Map(cached.map((s) => [keyOf(s), s]));
    for (const [key, w] of this.pending) {
      if (!key.startsWith(`${namespace}/`)) continue;
      if (w) byKey.set(key, w);
      else byKey.delete(key);
    }
    return [...byKey.values()];
  }
}
