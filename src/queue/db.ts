import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Numbered .sql files, applied in order and tracked with PRAGMA user_version. */
function migrations(): { version: number; sql: string }[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), sql: fs.readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8') }));
}

export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets the CLI and the dashboard read while the daemon writes; NORMAL sync is durable
  // across a process crash (only an OS crash can lose the last commits), and much faster.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations()) {
    if (m.version <= current) continue;
    // SQLite refuses writable_schema in its defensive mode, which better-sqlite3 turns on;
    // unsafe mode lifts it for this one migration only.
    const editsSchema = /writable_schema/i.test(m.sql);
    if (editsSchema) db.unsafeMode(true);
    try {
      applyMigration(db, m, editsSchema);
    } finally {
      if (editsSchema) db.unsafeMode(false);
    }
  }
}

function applyMigration(db: Db, m: { version: number; sql: string }, editsSchema: boolean): void {
  db.transaction(() => {
    // Asked again under the write lock: a CLI that opens a new database while the daemon
    // creates it must not apply the same migration twice ("table jobs already exists").
    if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
    db.exec(m.sql);
    if (editsSchema) reloadEditedSchema(db);
    db.pragma(`user_version = ${m.version}`);
  }).immediate();
}

/**
 * After a migration edited a table's definition in place: bump schema_version so every
 * connection parses it again, and check the database still reads as whole (SQLite's documented
 * procedure for changes that leave the stored rows as they are).
 */
function reloadEditedSchema(db: Db): void {
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.pragma(`schema_version = ${version + 1}`);
  const check = db.pragma('integrity_check', { simple: true });
  if (check !== 'ok') throw new Error(`the history database failed its integrity check after an upgrade: ${String(check)}`);
}
