// Compaction removes history no read can ask for any more: rows superseded by a
// later write at or below the compaction revision, and tombstones at or below it.
// Every row links to the row it superseded (prev_revision), so each chunk is a
// primary-key walk over the revisions it covers, never a scan of the whole log.
// Chunks are small transactions so writes interleave; afterwards the WAL is
// truncated and free pages are returned, keeping the files proportional to live data.
import type { Db } from './sqlite-schema.js';
import { readMeta } from './sqlite-schema.js';

export interface CompactionReport {
  compactRevision: number;
  deletedRows: number;
}

export class SqliteCompactor {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      dropSuperseded: db.prepare(
        'DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ? AND id <= ? AND prev_revision > 0)',
      ),
      dropTombstones: db.prepare('DELETE FROM kv WHERE id > ? AND id <= ? AND deleted = 1'),
      setCompact: db.prepare("UPDATE meta SET value = ? WHERE name = 'compact_revision'"),
    };
  }

  compactedRevision(): number {
    return readMeta(this.db).compactRevision;
  }

  /** Compacts (from, to] as one transaction; the caller chooses chunk sizes. */
  compactChunk(from: number, to: number): number {
    return this.db.transaction(() => {
      let n = this.stmts.dropSuperseded.run(from, to).changes;
      n += this.stmts.dropTombstones.run(from, to).changes;
      this.stmts.setCompact.run(to);
      return n;
    })();
  }

  /** Moves the WAL's pages into the database and truncates the WAL file to zero bytes. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Gives free pages back to the file system once they are a large share of the file. */
  releaseFreePages(maxPages = 4096): void {
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const total = this.db.pragma('page_count', { simple: true }) as number;
    if (free < 256 || free * 4 < total) return;
    this.db.pragma(`incremental_vacuum(${Math.min(free, maxPages)})`);
  }
}
