// The kubelet's image garbage collector, as upstream's image GC manager: at
// every pass it notes which stored images the node's containers use (their
// last use) and, when the image filesystem is at least the high threshold
// full, removes unused images, least recently used first, until usage is down
// to the low threshold. Images first seen less than the minimum age ago stay,
// so an image just pulled for a pod that has not started is safe; with a
// maximum age, images unused that long go whatever the disk. The eviction
// manager calls deleteUnusedImages() under disk pressure before it evicts pods.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { removeUnusedLayers } from '../image/layer-gc.js';
import type { LayoutStore, StoredImage } from '../image/store.js';
import type { Observation } from './eviction-thresholds.js';

export interface ImageGcPolicy {
  /** disk usage (percent) at which collection starts; 100 turns it off (upstream's 85) */
  highThresholdPercent: number;
  /** the usage it frees down to (upstream's 80) */
  lowThresholdPercent: number;
  /** how long an image must have been seen before it may go (upstream's --minimum-image-ttl-duration, 2m) */
  minAgeMs: number;
  /** unused this long, an image goes whatever the disk (upstream's imageMaximumGCAge); 0: never */
  maxAgeMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: ImageGcPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000, maxAgeMs: 0 };
/** how often the collector runs (upstream's ImageGCPeriod) */
export const DEFAULT_IMAGE_GC_PERIOD_MS = 300_000;

export interface ImageGcOptions {
  store: LayoutStore;
  policy: ImageGcPolicy;
  /** the image references the node's containers run now (every active pod's) */
  inUse: () => Iterable<string>;
  /** the image filesystem's size and free bytes (statfs of the store) */
  filesystem: () => Observation;
  /** blob digests to keep although no image names them (the build cache's layers) */
  keep?: () => Set<string>;
  /** an event on the Node (FreeDiskSpaceFailed) */
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

interface ImageRecord {
  firstDetected: number;
  /** 0 until a container is seen using it */
  lastUsed: number;
}

export class ImageGcError extends Error {}

export function validateImageGcPolicy(p: ImageGcPolicy): string | undefined {
  const pct = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;
  if (!pct(p.highThresholdPercent)) return `--image-gc-high-threshold must be a whole percentage from 0 to 100, got ${p.highThresholdPercent}`;
  if (!pct(p.lowThresholdPercent)) return `--image-gc-low-threshold must be a whole percentage from 0 to 100, got ${p.lowThresholdPercent}`;
  // upstream's validation wording (imageGCLowThresholdPercent must be less than imageGCHighThresholdPercent)
  if (p.lowThresholdPercent > p.highThresholdPercent) return `--image-gc-low-threshold (${p.lowThresholdPercent}) must be less than --image-gc-high-threshold (${p.highThresholdPercent})`;
  if (!(p.minAgeMs >= 0) || !(p.maxAgeMs >= 0)) return 'image GC ages must not be negative';
  if (p.maxAgeMs > 0 && p.maxAgeMs < p.minAgeMs) return `the maximum image GC age must not be less than --minimum-image-ttl-duration`;
  return undefined;
}

export class ImageGcManager {
  private readonly records = new Map<string, ImageRecord>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly opts: ImageGcOptions) {}

  /** Runs a pass every periodMs (upstream's ImageGCPeriod is 5 minutes), the first after one period. */
  start(periodMs: number): void {
    this.timer = setInterval(() => void this.garbageCollect().catch((e) => this.opts.log('image garbage collection failed', { error: String(e) })), periodMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The stored images with what the collector knows of them, noting the ones in use now. */
  detect(now = Date.now()): Array<StoredImage & ImageRecord & { used: boolean }> {
    const used = new Set<string>();
    for (const ref of new Set(this.opts.inUse())) {
      const d = this.safeResolve(ref);
      if (d) used.add(d);
    }
    const images = this.opts.store.list();
    const seen = new Set<string>();
    const out = images.map((img) => {
      seen.add(img.digest);
      let rec = this.records.get(img.digest);
      if (!rec) this.records.set(img.digest, (rec = { firstDetected: now, lastUsed: 0 }));
      const isUsed = used.has(img.digest);
      if (isUsed) rec.lastUsed = now;
      return { ...img, ...rec, used: isUsed };
    });
    for (const d of [...this.records.keys()]) if (!seen.has(d)) this.records.delete(d);
    return out;
  }

  /** One pass of the policy; throws ImageGcError when it could not free what the high threshold asks. */
  async garbageCollect(now = Date.now()): Promise<void> {
    return this.exclusive(async () => {
      const { policy } = this.opts;
      let images = this.detect(now);
      if (policy.maxAgeMs > 0) {
        for (const img of images) {
          const unusedSince = img.lastUsed || img.firstDetected;
          if (!img.used && now - unusedSince > policy.maxAgeMs) {
            this.opts.log('removing image unused longer than the maximum age', { image: img.digest, names: img.names });
            this.remove(img);
          }
        }
        images = this.detect(now);
      }
      if (policy.highThresholdPercent >= 100) return;
      const fs = this.opts.filesystem();
      if (!(fs.capacity > 0)) return;
      const usagePercent = 100 - Math.floor((fs.available * 100) / fs.capacity);
      if (usagePercent < policy.highThresholdPercent) return;
      const amountToFree = Math.floor((fs.capacity * (100 - policy.lowThresholdPercent)) / 100) - fs.available;
      this.opts.log('disk usage on the image filesystem is over the high threshold, trying to free bytes down to the low threshold', {
        usage: usagePercent, highThreshold: policy.highThresholdPercent, amountToFree, lowThreshold: policy.lowThresholdPercent,
      });
      const freed = this.freeSpace(amountToFree, now, images);
      if (freed < amountToFree) {
        const message = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
        this.opts.event('Warning', 'FreeDiskSpaceFailed', message);
        throw new ImageGcError(message);
      }
    });
  }

  /** Removes every unused image past the minimum age (the eviction manager's reclaim under disk pressure); returns bytes freed. */
  async deleteUnusedImages(now = Date.now()): Promise<number> {
    return this.exclusive(async () => {
      this.opts.log('attempting to delete unused images');
      return this.freeSpace(Number.POSITIVE_INFINITY, now, this.detect(now));
    });
  }

  /** Removes unused images, least recently used first, until bytes are freed; returns what the filesystem gained. */
  private freeSpace(bytes: number, now: number, images: Array<StoredImage & ImageRecord & { used: boolean }>): number {
    const candidates = images
      .filter((i) => !i.used && now - i.firstDetected >= this.opts.policy.minAgeMs)
      .sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    for (const img of candidates) {
      if (freed >= bytes) break;
      const before = this.opts.filesystem().available;
      this.opts.log('removing image to free bytes', { image: img.digest, names: img.names, size: img.size });
      this.remove(img);
      // what the disk gained: the image's blobs and its unpacked layers no other image shares
      freed += Math.max(0, this.opts.filesystem().available - before);
    }
    return freed;
  }

  private remove(img: StoredImage): void {
    const { store } = this.opts;
    for (const n of img.names) store.untag(n);
    // only this image's own blobs and layers: a pull under way keeps what it has written
    const blobs = new Set([img.digest, img.manifest.config.digest, ...img.manifest.layers.map((l) => l.digest)]);
    store.collectGarbage(this.opts.keep?.() ?? new Set(), blobs);
    removeUnusedLayers(store, new Set(img.config.rootfs.diff_ids.map((d) => d.replace(/^sha256:/, ''))));
    this.records.delete(img.digest);
  }

  private safeResolve(ref: string): string | undefined {
    try {
      return this.opts.store.resolve(ref);
    } catch {
      return undefined;
    }
  }

  /** one pass at a time: the timer's and the eviction manager's never interleave */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    const p = fn();
    this.running = p;
    try {
      return await p;
    } finally {
      if (this.running === p) this.running = undefined;
    }
  }
}

export type NodeImage = { names: string[]; sizeBytes: number };

/** Node.status.images of a store, read again only when its index changes (the status is written every 10 s). */
export function nodeImagesOf(store: LayoutStore): () => NodeImage[] {
  let seen = -1;
  let last: NodeImage[] = [];
  return () => {
    const mtime = statSync(join(store.root, 'index.json')).mtimeMs;
    if (mtime !== seen) {
      last = nodeImages(store.list());
      seen = mtime;
    }
    return last;
  };
}

/** Node.status.images as upstream reports them: largest first, at most 50, each with up to 5 names (digests first). */
export function nodeImages(images: StoredImage[]): NodeImage[] {
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, 50)
    .map((img) => {
      const repos = [...new Set(img.names.map((n) => n.replace(/[:@][^/]*$/, '')))];
      return { names: [...repos.map((r) => `${r}@${img.digest}`), ...img.names].slice(0, 5), sizeBytes: img.size };
    });
}
