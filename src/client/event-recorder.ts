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
    if (prev && Date.now() - prev.at < DEDUP_WINDOW_MS) {
      prev.count++;
      prev.at = Date.now();
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
    this.seen.set(key, { name, namespace, count: 1, first: now, at: Date.now() });
    if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);
  }
}
