// Applies a batch of writes in one transaction (group commit: one fsync for the
// whole batch). Each write is checked and applied in order, so two writes to one
// key in the same batch behave exactly as if they had been committed one by one;
// a failed precondition fails only that write.
import type { Db } from './sqlite-schema.js';
import { readMeta } from './sqlite-schema.js';

export type WriteOp =
  | { op: 'create'; key: string; value: string }
  | { op: 'update'; key: string; value: string; modRevision?: number; uid?: string }
  | { op: 'delete'; key: string; modRevision?: number; uid?: string };

export type OpFailure = 'KeyExists' | 'KeyNotFound' | 'Conflict';

export type OpResult =
  | { ok: true; revision: number; createRevision: number; /** delete only */ value?: string }
  | { ok: false; code: OpFailure };

interface LiveRow {
  id: number;
  create_revision: number;
  value: string;
}

export class SqliteWriter {
  revision: number;
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.revision = readMeta(db).revision;
    this.stmts = {
      live: db.prepare('SELECT k.id, k.create_revision, k.value FROM live l JOIN kv k ON k.id = l.id WHERE l.key = ?'),
      lastRow: db.prepare('SELECT id FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1').pluck(),
      insert: db.prepare(
        'INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      setLive: db.prepare('INSERT INTO live (key, id) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET id = excluded.id'),
      dropLive: db.prepare('DELETE FROM live WHERE key = ?'),
      setRevision: db.prepare("UPDATE meta SET value = ? WHERE name = 'revision'"),
    };
  }

  /** Commits every op that passes its checks; throws (and rolls back all) only on I/O errors. */
  applyBatch(ops: WriteOp[]): OpResult[] {
    const start = this.revision;
    const run = this.db.transaction((batch: WriteOp[]) => {
      const results = batch.map((op) => this.apply(op));
      if (this.revision !== start) this.stmts.setRevision.run(this.revision);
      return results;
    });
    try {
      return run(ops);
    } catch (e) {
      this.revision = start;
      throw e;
    }
  }

  private apply(op: WriteOp): OpResult {
    const cur = this.stmts.live.get(op.key) as LiveRow | undefined;
    if (op.op === 'create') {
      if (cur) return { ok: false, code: 'KeyExists' };
      // a re-created key links to its tombstone, as kine does
      const prev = (this.stmts.lastRow.get(op.key) as number | undefined) ?? 0;
      const rev = ++this.revision;
      this.stmts.insert.run(rev, op.key, 1, 0, rev, prev, op.value);
      this.stmts.setLive.run(op.key, rev);
      return { ok: true, revision: rev, createRevision: rev };
    }
    if (!cur) return { ok: false, code: 'KeyNotFound' };
    if (op.modRevision !== undefined && op.modRevision !== cur.id) return { ok: false, code: 'Conflict' };
    if (op.uid !== undefined && uidOf(cur.value) !== op.uid) return { ok: false, code: 'Conflict' };
    const rev = ++this.revision;
    if (op.op === 'update') {
      this.stmts.insert.run(rev, op.key, 0, 0, cur.create_revision, cur.id, op.value);
      this.stmts.setLive.run(op.key, rev);
      return { ok: true, revision: rev, createRevision: cur.create_revision };
    }
    // the tombstone keeps the last value: a watch replay turns it into the DELETED object
    this.stmts.insert.run(rev, op.key, 0, 1, cur.create_revision, cur.id, cur.value);
    this.stmts.dropLive.run(op.key);
    return { ok: true, revision: rev, createRevision: cur.create_revision, value: cur.value };
  }
}

function uidOf(value: string): string | undefined {
  try {
    return (JSON.parse(value) as { metadata?: { uid?: string } }).metadata?.uid;
  } catch {
    return undefined;
  }
}
