// The writer thread: owns the only read-write connection, so fsyncs and compaction
// never stall the event loop that serves the API. Messages are handled in arrival
// order; a compaction yields between chunks so write batches slip in between.
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openWriter, readMeta } from './sqlite-schema.js';
import { SqliteWriter, type OpResult, type WriteOp } from './sqlite-writer.js';
import { SqliteCompactor } from './sqlite-compaction.js';

export type WorkerRequest =
  | { t: 'batch'; id: number; ops: WriteOp[] }
  | { t: 'compact'; id: number; revision: number; chunk: number }
  | { t: 'close'; id: number };

export type WorkerReply =
  | { t: 'ready'; revision: number; compactRevision: number }
  | { t: 'batch'; id: number; results: OpResult[]; revision: number }
  | { t: 'compact'; id: number; compactRevision: number; deletedRows: number }
  | { t: 'close'; id: number }
  | { t: 'error'; id: number; message: string };

const port = parentPort!;
const db = openWriter((workerData as { path: string }).path);
const writer = new SqliteWriter(db);
const compactor = new SqliteCompactor(db);
let compacting = false;

const meta = readMeta(db);
port.postMessage({ t: 'ready', revision: meta.revision, compactRevision: meta.compactRevision } satisfies WorkerReply);

port.on('message', (req: WorkerRequest) => {
  switch (req.t) {
    case 'batch':
      try {
        const results = writer.applyBatch(req.ops);
        reply({ t: 'batch', id: req.id, results, revision: writer.revision });
      } catch (e) {
        reply({ t: 'error', id: req.id, message: (e as Error).message });
      }
      return;
    case 'compact':
      void compact(req.id, req.revision, req.chunk);
      return;
    case 'close':
      db.close();
      reply({ t: 'close', id: req.id });
      port.close();
      return;
  }
});

async function compact(id: number, target: number, chunk: number): Promise<void> {
  if (compacting) return reply({ t: 'error', id, message: 'compaction already running' });
  compacting = true;
  try {
    let from = compactor.compactedRevision();
    let deleted = 0;
    // never past the newest write: the compact revision must stay readable
    const to = Math.min(target, writer.revision);
    while (from < to) {
      const hi = Math.min(to, from + chunk);
      deleted += compactor.compactChunk(from, hi);
      from = hi;
      if (!db.open) return;
      await nextTurn();
      if (!db.open) return;
    }
    compactor.checkpoint();
    compactor.releaseFreePages();
    compactor.checkpoint();
    reply({ t: 'compact', id, compactRevision: from, deletedRows: deleted });
  } catch (e) {
    reply({ t: 'error', id, message: (e as Error).message });
  } finally {
    compacting = false;
  }
}

function reply(msg: WorkerReply): void {
  port.postMessage(msg);
}
