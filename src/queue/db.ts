import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

/**
 * One prepared statement, as both databases run it: better-sqlite3's calling convention (`?` in
 * order, or `@name` from one object).
 */
export interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/**
 * What the store and the modules that keep their own tables (undo, programs) need of a database.
 * Two implementations: the embedded SQLite file (one person's machine, the default) and a shared
 * PostgreSQL server (a team; postgres/db.ts). Statements are written once, in SQL both read.
 */
export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  prepare(sql: string): Statement;
  /** Runs `fn` in one transaction (nested calls become savepoints); returns a function, as better-sqlite3 does. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** A number that changes whenever any process changed the database (the dashboard's live view). */
  dataVersion(): number;
  /** The schema version the database is at (its highest applied migration). */
  version(): number;
  close(): void;
}

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Numbered .sql files in `dir`, applied in order. */
export function migrations(dir = MIGRATIONS_DIR): { version: number; sql: string }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** The schema version this build of dropwork writes (the highest migration). */
export function schemaVersion(): number {
  return Math.max(...migrations().map((m) => m.version));
}

/** The embedded history database: one SQLite file in the data folder. */
export class SqliteDb implements Db {
  readonly engine = 'sqlite';
  readonly raw: Database.Database;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    // WAL lets the CLI and the dashboard read while the daemon writes; NORMAL sync is durable
    // across a process crash (only an OS crash can lose the last commits), and much faster.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    migrate(db);
    this.raw = db;
  }

  prepare(sql: string): Statement {
    return this.raw.prepare(sql);
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return this.raw.transaction(fn);
  }

  dataVersion(): number {
    return this.raw.pragma('data_version', { simple: true }) as number;
  }

  version(): number {
    return this.raw.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.raw.close();
  }
}

export function openDb(file: string): SqliteDb {
  return new SqliteDb(file);
}

function migrate(db: Database.Database): void {
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

function applyMigration(db: Database.Database, m: { version: number; sql: string }, editsSchema: boolean): void {
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
function reloadEditedSchema(db: Database.Database): void {
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.pragma(`schema_version = ${version + 1}`);
  const check = db.pragma('integrity_check', { simple: true });
  if (check !== 'ok') throw new Error(`the history database failed its integrity check after an upgrade: ${String(check)}`);
}
