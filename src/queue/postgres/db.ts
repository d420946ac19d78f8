import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrations, type Db, type Statement } from '../db.js';
import { SyncConnection, type Result } from './connection.js';
import { bind, translate } from './translate.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations', 'postgres');

/** Channels the store listens on: new queued work, and any change (the dashboard's live view). */
export const CHANNELS = { work: 'dropwork_work', changed: 'dropwork_changed' } as const;

/** A team's shared history on a PostgreSQL server (tables in schema `dropwork`). */
export class PostgresDb implements Db {
  readonly engine = 'postgres';
  readonly conn: SyncConnection;
  private depth = 0;
  /** The connection the open transaction began on. */
  private txGen: number | undefined;
  private changes = 0;
  private readonly wakers = new Set<() => void>();

  constructor(readonly url: string, opts: { migrate?: boolean; timeoutMs?: number } = {}) {
    this.conn = new SyncConnection(url, [CHANNELS.work, CHANNELS.changed], (channel) => {
      this.changes++;
      if (channel === CHANNELS.work || channel === '') for (const w of this.wakers) w();
    }, opts.timeoutMs);
    if (opts.migrate !== false) migratePostgres(this);
  }

  /** Called when another host queued work (LISTEN/NOTIFY), or when listening (re)started. */
  onWork(fn: () => void): () => void {
    this.wakers.add(fn);
    return () => this.wakers.delete(fn);
  }

  query(sql: string, params: unknown[] = []): Result {
    return this.conn.query(sql, params, this.txGen);
  }

  prepare(sql: string): Statement {
    const t = translate(sql);
    const run = (args: unknown[]): Result => this.conn.query(t.text, bind(t, args), this.txGen);
    return {
      get: (...args) => run(args).rows[0],
      all: (...args) => run(args).rows,
      run: (...args) => ({ changes: run(args).rowCount }),
    };
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      const outer = this.depth === 0;
      const savepoint = `s${this.depth}`;
      if (outer) this.txGen = this.conn.query('BEGIN').gen;
      else this.query(`SAVEPOINT ${savepoint}`);
      this.depth++;
      let done = false;
      try {
        const r = fn(...args);
        done = true;
        this.query(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
        return r;
      } catch (err) {
        try {
          if (!done || !outer) this.query(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
        } catch {
          // The connection is gone: the server has rolled the transaction back itself.
        }
        throw err;
      } finally {
        this.depth--;
        if (outer) this.txGen = undefined;
      }
    };
  }

  dataVersion(): number {
    return this.changes;
  }

  version(): number {
    return postgresSchemaVersion(this);
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * The same numbered migrations as SQLite's, in PostgreSQL's words (migrations/postgres), applied
 * under an advisory lock so hosts starting together apply each once.
 */
export function migratePostgres(db: PostgresDb): void {
  // The lock first: hosts starting together on a new database would otherwise race even on
  // CREATE SCHEMA IF NOT EXISTS (a duplicate key in pg_namespace for all but one).
  db.query('SELECT pg_advisory_lock(4242001)');
  try {
    db.query('CREATE SCHEMA IF NOT EXISTS dropwork');
    db.query('CREATE TABLE IF NOT EXISTS dropwork.schema_version (version INTEGER NOT NULL)');
    // Each migration not yet recorded, not only those above the highest: one numbered below
    // another (two branches each adding one) still runs once on a database that has the other.
    const applied = new Set((db.query('SELECT version FROM dropwork.schema_version').rows as { version: number }[]).map((r) => r.version));
    for (const m of migrations(MIGRATIONS_DIR)) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        db.query(m.sql);
        db.query('INSERT INTO dropwork.schema_version (version) VALUES ($1)', [m.version]);
      })();
    }
  } finally {
    db.query('SELECT pg_advisory_unlock(4242001)');
  }
}

/** The schema version a PostgreSQL database is at (0 when dropwork never ran there). */
export function postgresSchemaVersion(db: PostgresDb): number {
  const exists = db.query("SELECT to_regclass('dropwork.schema_version') AS t").rows[0] as { t: string | null };
  if (!exists.t) return 0;
  return (db.query('SELECT max(version) AS v FROM dropwork.schema_version').rows[0] as { v: number | null }).v ?? 0;
}
