// Records core/v1 Events about objects, as client-go's event recorder: one
// Event per (object, type, reason, message), repeated occurrences bump its
// count and lastTimestamp instead of creating new objects.
import { metaTime, type KubeObject } from '../api/object.js';
import type { RestClient } from './rest-client.js';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  at: number;
}

const DEDUP_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly client: RestClient,
    private readonly source: { component: string; host?: string },
    private readonly onError: (e: unknown) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  /** Fire and forget: events never block or fail the caller. */
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    void this.record(obj, type, reason, message, fieldPath).catch(this.onError);
  }

  /** As event(), for callers that pace their own event traffic: resolves when written (or failed and reported). */
  eventAndWait(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): Promise<void> {
    return this.record(obj, type, reason, message, fieldPath).catch(this.onError);
  }

  private async record(obj: KubeObject, type: string, reason: string, message: string, fieldPath?: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${obj.metadata.uid}|${fieldPath ?? ''}|${type}|${reason}|${message}`;
    const now = metaTime();
    const prev = this.seen.get(key);
    if (prev && this.clock() - prev.at < DEDUP_WINDOW_MS) {
      prev.count++;
      prev.at = this.clock();
      // most recently seen last, so the expired are always at the front
      this.seen.delete(key);
      this.seen.set(key, prev);
      await this.client.patch({ group: '', version: 'v1', plural: 'events', namespaced: true }, prev.namespace, prev.name, { count: prev.count, lastTimestamp: now });
      return;
    }
    const name = `${obj.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? 'Pod', namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      source: this.source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, ev);
    this.seen.delete(key); // an expired entry of the same key: the new one goes last
    this.seen.set(key, { name, namespace, count: 1, first: now, at: this.clock() });
    this.forgetExpired();
  }

  /** Entries past the dedupe window can only be written anew: they go (a node that started many pods once keeps no memory of it). */
  private forgetExpired(): void {
    const cutoff = this.clock() - DEDUP_WINDOW_MS;
    for (const [k, v] of this.seen) {
      if (v.at >= cutoff && this.seen.size <= 10_000) break;
      this.seen.delete(k);
    }
  }
}
