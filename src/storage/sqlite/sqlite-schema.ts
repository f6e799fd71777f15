// The on-disk layout, kine-like: `kv` is an MVCC log with one row per revision, so a
// read at an older revision and a watch replay are plain queries until compaction
// removes superseded rows. `live` points at each existing key's newest row, which
// keeps get, count and current lists from scanning history. `meta` holds the
// revision counters so they never go backwards, even when compaction has deleted
// the newest rows (a trailing delete's tombstone).
import Database from 'better-sqlite3';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
CREATE TABLE IF NOT EXISTS live (
  key TEXT PRIMARY KEY,
  id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compact_revision', 0);
`;

/** The writer's connection: creates the schema; every commit is fsynced before it returns. */
export function openWriter(path: string): Db {
  const db = new Database(path);
  // must precede the first table so freed pages can later be returned to the OS
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // bound the WAL between compactions; compaction truncates it to zero
  db.pragma('journal_size_limit = 33554432');
  db.exec(SCHEMA);
  return db;
}

/** A read-only connection for the event loop's thread; WAL lets it read while the writer commits. */
export function openReader(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

export function readMeta(db: Db): { revision: number; compactRevision: number } {
  const rows = db.prepare('SELECT name, value FROM meta').all() as { name: string; value: number }[];
  const m = new Map(rows.map((r) => [r.name, r.value]));
  const maxId = (db.prepare('SELECT MAX(id) AS id FROM kv').get() as { id: number | null }).id ?? 0;
  return { revision: Math.max(m.get('revision') ?? 0, maxId), compactRevision: m.get('compact_revision') ?? 0 };
}
