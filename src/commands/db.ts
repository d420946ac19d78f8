/**
 * `dropwork db migrate` and `dropwork db copy --to postgres://…`: bring the configured history
 * to this build's schema, and move one machine's SQLite history into a team's PostgreSQL
 * database, exactly. A URL is never printed with its password (redactUrl).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import Database from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { runningPid } from '../pidfile.js';
import { schemaVersion, SqliteDb } from '../queue/db.js';
import { redactUrl } from '../queue/postgres/connection.js';
import { copyHistory, CopyRefused } from '../queue/postgres/copy.js';
import { migratePostgres, PostgresDb, postgresSchemaVersion } from '../queue/postgres/db.js';
import { CliError, paths, table } from './shared.js';

export function addDbCommands(program: Command): void {
  const db = program.command('db').description('the history database: bring it up to date, or copy it to a team\'s PostgreSQL');
  db.command('migrate').description('apply this dropwork\'s migrations to the configured database (database: in config.yaml, or the SQLite file); safe to run again')
    .action(() => { process.stdout.write(dbMigrate()); });
  db.command('copy').description('copy this machine\'s whole SQLite history into a new, empty PostgreSQL database (ids kept, in one transaction)')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user:password@host/name')
    .action((o: { to: string }) => { process.stdout.write(dbCopy(o.to)); });
}

/** Applies the migrations; says the schema version before and after. */
export function dbMigrate(): string {
  const p = paths();
  const url = loadConfig(p.configFile).config.database.trim();
  const build = schemaVersion();
  if (url) {
    const pg = openPostgres(url);
    try {
      const before = postgresSchemaVersion(pg);
      if (before > build) throw new CliError(newer(redactUrl(url), before, build));
      migratePostgres(pg);
      return said(redactUrl(url), before, postgresSchemaVersion(pg));
    } finally {
      pg.close();
    }
  }
  const before = sqliteVersion(p.dbFile);
  if (before > build) throw new CliError(newer(p.dbFile, before, build));
  const db = new SqliteDb(p.dbFile);
  try {
    return said(p.dbFile, before, db.version());
  } finally {
    db.close();
  }
}

/** Copies the SQLite history of this machine into the database at `url`; a table of row counts. */
export function dbCopy(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError('--to takes a postgres:// URL, such as postgres://dropwork:secret@db.office.lan/dropwork');
  const p = paths();
  if (!fs.existsSync(p.dbFile)) throw new CliError(`there is no history to copy at ${p.dbFile}`);
  const pid = runningPid(p.pidFile);
  if (pid !== undefined) throw new CliError(`the daemon is running (pid ${pid}); stop it first, so that no job changes during the copy`);
  const build = schemaVersion();
  const source = sqliteVersion(p.dbFile);
  if (source > build) throw new CliError(newer(p.dbFile, source, build));
  const pg = openPostgres(url);
  const sqlite = new SqliteDb(p.dbFile);
  try {
    const target = postgresSchemaVersion(pg);
    if (target > build) throw new CliError(newer(redactUrl(url), target, build));
    migratePostgres(pg);
    const copied = copyHistory(sqlite, pg);
    const total = copied.reduce((s, t) => s + t.rows, 0);
    return `Copied ${p.dbFile} into ${redactUrl(url)} (schema version ${pg.version()}):\n`
      + table([['table', 'rows'], ...copied.map((t) => [t.table, String(t.rows)])]).replace(/^/gm, '  ')
      + `${total} row(s) in all; new ids continue after the copied ones.\n`
      + 'Next: on each host, set database: to this URL in config.yaml (or DROPWORK_DATABASE_URL) and start dropwork.\n';
  } catch (err) {
    if (err instanceof CopyRefused) throw new CliError(`nothing was copied: ${err.message}`);
    throw err;
  } finally {
    sqlite.close();
    pg.close();
  }
}

function openPostgres(url: string): PostgresDb {
  try {
    const pg = new PostgresDb(url, { migrate: false, timeoutMs: 30_000 });
    pg.query('SELECT 1');
    return pg;
  } catch (err) {
    throw new CliError(`cannot reach ${redactUrl(url)}: ${errorMessage(err).replace(url, redactUrl(url))}`);
  }
}

/** The version of a SQLite history without changing it (0 when there is none yet). */
function sqliteVersion(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

function said(where: string, before: number, after: number): string {
  return before === after
    ? `${where}: schema version ${after}, already up to date.\n`
    : `${where}: schema version ${before} → ${after}.\n`;
}

function newer(where: string, version: number, build: number): string {
  return `${where} is at schema version ${version}, newer than this dropwork (${build}): a newer dropwork migrated it; upgrade this host`;
}
