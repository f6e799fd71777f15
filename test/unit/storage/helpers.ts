// Shared scaffolding for the storage tests: temp data dirs and watch readers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/api/object.js';
import type { Watch, WatchEvent } from '../../../src/storage/store.js';

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-storage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function obj(name: string, extra: Record<string, unknown> = {}, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid: `uid-${name}` }, ...extra };
}

/** Reads events from a watch until `n` arrived or `ms` passed. */
export async function take(w: Watch, n: number, ms = 2000): Promise<WatchEvent[]> {
  const it = w[Symbol.asyncIterator]();
  const out: WatchEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), left))),
    ]);
    clearTimeout(timer);
    if (r === 'timeout' || r.done) break;
    out.push(r.value);
  }
  return out;
}

/** Everything a watch yields until it ends (or `ms` passes). */
export async function drain(w: Watch, ms = 2000): Promise<{ events: WatchEvent[]; ended: boolean }> {
  const it = w[Symbol.asyncIterator]();
  const events: WatchEvent[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { events, ended: false };
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), left))),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') return { events, ended: false };
    if (r.done) return { events, ended: true };
    events.push(r.value);
  }
}

export function summary(evs: WatchEvent[]): string[] {
  return evs.map((e) => `${e.type} ${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion}`);
}
