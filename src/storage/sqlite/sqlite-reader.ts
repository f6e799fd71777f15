// Reads on the event loop's own read-only connection (WAL readers never wait for the
// writer). Each call runs in one read transaction, so the rows, the revision it
// reports and the compaction check all come from the same snapshot.
import { StorageError } from '../store.js';
import { prefixEnd, type BackendEvent, type RangeOptions, type RangeResult, type RawKV } from '../backend.js';
import { readMeta, type Db } from './sqlite-schema.js';

interface Row {
  id: number;
  key: string;
  create_revision: number;
  value: string;
}

interface LogRow extends Row {
  deleted: number;
}

const LATEST_AT = 'SELECT key, MAX(id) AS id FROM kv WHERE key >= ? AND key < ? AND id <= ? GROUP BY key';

export class SqliteReader {
  private readonly stmts;
  private readonly snapshot: <T>(fn: () => T) => T;

  constructor(private readonly db: Db) {
    this.stmts = {
      get: db.prepare('SELECT k.id, k.key, k.create_revision, k.value FROM live l JOIN kv k ON k.id = l.id WHERE l.key = ?'),
      rangeLive: db.prepare(
        'SELECT k.id, k.key, k.create_revision, k.value FROM live l JOIN kv k ON k.id = l.id WHERE l.key >= ? AND l.key < ? ORDER BY l.key LIMIT ?',
      ),
      rangeAt: db.prepare(
        `SELECT k.id, k.key, k.create_revision, k.value FROM (${LATEST_AT}) m JOIN kv k ON k.id = m.id WHERE k.deleted = 0 ORDER BY m.key LIMIT ?`,
      ),
      countLive: db.prepare('SELECT COUNT(*) FROM live WHERE key >= ? AND key < ?').pluck(),
      countAt: db.prepare(`SELECT COUNT(*) FROM (${LATEST_AT}) m JOIN kv k ON k.id = m.id WHERE k.deleted = 0`).pluck(),
      log: db.prepare(
        'SELECT id, key, deleted, create_revision, value FROM kv WHERE id > ? AND id <= ? AND key >= ? AND key < ? ORDER BY id',
      ),
    };
    const begin = db.prepare('BEGIN');
    const commit = db.prepare('COMMIT');
    this.snapshot = <T>(fn: () => T): T => {
      begin.run();
      try {
        return fn();
      } finally {
        commit.run();
      }
    };
  }

  get(key: string): RawKV | undefined {
    const row = this.stmts.get.get(key) as Row | undefined;
    return row && toKV(row);
  }

  range(prefix: string, opts: RangeOptions = {}): RangeResult {
    const start = opts.startKey ?? prefix;
    const end = prefixEnd(prefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit + 1 : -1;
    return this.snapshot(() => {
      const meta = this.checkRevision(prefix, opts.revision);
      const rows = (
        opts.revision
          ? this.stmts.rangeAt.all(start, end, opts.revision, limit)
          : this.stmts.rangeLive.all(start, end, limit)
      ) as Row[];
      const more = limit > 0 && rows.length === limit;
      if (more) rows.pop();
      return { kvs: rows.map(toKV), revision: opts.revision || meta.revision, more };
    });
  }

  count(prefix: string, opts: Omit<RangeOptions, 'limit'> = {}): number {
    const start = opts.startKey ?? prefix;
    const end = prefixEnd(prefix);
    return this.snapshot(() => {
      this.checkRevision(prefix, opts.revision);
      return (
        opts.revision ? this.stmts.countAt.get(start, end, opts.revision) : this.stmts.countLive.get(start, end)
      ) as number;
    });
  }

  /** Writes under prefix in (after, upTo], in revision order; Compacted if `after` is gone. */
  log(prefix: string, after: number, upTo: number): BackendEvent[] {
    return this.snapshot(() => {
      const meta = readMeta(this.db);
      if (after < meta.compactRevision) throw compacted(prefix, after, meta.compactRevision);
      const rows = this.stmts.log.all(after, upTo, prefix, prefixEnd(prefix)) as LogRow[];
      return rows.map((r) => ({
        type: r.deleted ? 'delete' : 'put',
        key: r.key,
        revision: r.id,
        createRevision: r.create_revision,
        value: r.value,
      }));
    });
  }

  meta(): { revision: number; compactRevision: number } {
    return this.snapshot(() => readMeta(this.db));
  }

  private checkRevision(prefix: string, revision: number | undefined) {
    const meta = readMeta(this.db);
    if (revision) {
      if (revision < meta.compactRevision) throw compacted(prefix, revision, meta.compactRevision);
      if (revision > meta.revision) {
        throw new StorageError('TooNew', prefix, `revision ${revision} is newer than the store's ${meta.revision}`);
      }
    }
    return meta;
  }
}

function toKV(r: Row): RawKV {
  return { key: r.key, value: r.value, modRevision: r.id, createRevision: r.create_revision };
}

function compacted(prefix: string, revision: number, compactRevision: number): StorageError {
  return new StorageError('Compacted', prefix, `revision ${revision} has been compacted (oldest is ${compactRevision})`);
}
