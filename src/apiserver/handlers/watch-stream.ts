// Streams a storage watch to an HTTP client as upstream does: one JSON
// {"type","object"} per line, chunked; each event serialized once per
// representation and shared by every watcher (WatchEvent.encoded).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import type { Watch, WatchEvent } from '../../storage/store.js';
import { apiVersionOf } from '../registry/conversion.js';

export interface WatchStreamOptions {
  /** per-event object transform (version conversion, Table wrapping) */
  render: (obj: KubeObject, type: WatchEvent['type']) => unknown;
  /** cache key for the rendered form (same key = same bytes); asked before each event */
  encodingKey: () => string;
  /** Table watches print bookmarks too, as upstream does */
  renderBookmarks?: boolean;
  timeoutSeconds: number;
  info: ResourceInfo;
  version: string;
}

export async function streamWatch(req: IncomingMessage, res: ServerResponse, watch: Watch, opts: WatchStreamOptions): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
    'transfer-encoding': 'chunked',
  });
  res.flushHeaders();
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    watch.stop();
  };
  const timer = setTimeout(stop, opts.timeoutSeconds * 1000);
  timer.unref();
  req.on('close', stop);
  res.on('close', stop);
  const frames: Buffer[] = [];
  try {
    for await (const ev of watch) {
      if (closed) break;
      encodeReady(ev, watch, opts, frames);
      const ok = res.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
      frames.length = 0;
      if (!ok) {
        // back-pressure: wait for the socket instead of buffering without bound
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
    }
  } catch (e) {
    if (!closed) {
      // the events encoded before the failure still go out ahead of the ERROR
      if (frames.length) res.write(Buffer.concat(frames));
      res.write(JSON.stringify({ type: 'ERROR', object: statusOf(e) }) + '\n');
    }
  } finally {
    clearTimeout(timer);
    stop();
    if (!res.writableEnded) res.end();
  }
}

// Most bytes handed to the socket in one write (initial events can be many).
const MAX_WRITE_BYTES = 1 << 20;

/**
 * Adds to `frames` the encoding of `ev` and of every event already queued behind it:
 * waiting for 'drain' after each 16 KiB let a busy server's watchers fall a thousand
 * events behind and be ended, even clients that read at once (the server's own
 * informers among them).
 */
function encodeReady(ev: WatchEvent, watch: Watch, opts: WatchStreamOptions, frames: Buffer[]): void {
  let bytes = 0;
  let next: WatchEvent | undefined = ev;
  while (next) {
    const frame = encode(next, opts);
    frames.push(frame);
    bytes += frame.length;
    next = bytes < MAX_WRITE_BYTES ? watch.takeReady?.() : undefined;
  }
}

function encode(ev: WatchEvent, opts: WatchStreamOptions): Buffer {
  const cacheKey = opts.encodingKey();
  const cached = ev.encoded?.get(cacheKey);
  if (cached) return cached;
  let object: unknown;
  if (ev.type === 'BOOKMARK' && !opts.renderBookmarks) {
    object = {
      kind: opts.info.kind,
      apiVersion: apiVersionOf(opts.info.group, opts.version),
      metadata: ev.object.metadata,
    };
  } else if (ev.type === 'ERROR') {
    object = ev.object;
  } else if (ev.type === 'BOOKMARK') {
    object = opts.render({ kind: opts.info.kind, apiVersion: apiVersionOf(opts.info.group, opts.version), metadata: ev.object.metadata }, ev.type);
  } else {
    object = opts.render(ev.object, ev.type);
  }
  const buf = Buffer.from(JSON.stringify({ type: ev.type, object }) + '\n');
  if (!ev.encoded) ev.encoded = new Map();
  ev.encoded.set(cacheKey, buf);
  return buf;
}

function statusOf(e: unknown): object {
  const err = e as { toStatus?: () => object; message?: string };
  if (typeof err?.toStatus === 'function') return err.toStatus();
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err?.message ?? String(e), reason: 'InternalError', code: 500 };
}
