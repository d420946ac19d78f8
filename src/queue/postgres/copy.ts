import type { SqliteDb } from '../db.js';
import { redactUrl } from './connection.js';
import type { PostgresDb } from './db.js';

export interface CopiedTable {
  table: string;
  rows: number;
}

/** Why a copy was not made; nothing was written. */
export class CopyRefused extends Error {
  override name = 'CopyRefused';
}

/**
 * Rows per INSERT: PostgreSQL takes at most 65,535 parameters a statement, and a batch of
 * travelling files is also cut at BATCH_BYTES so one message between threads stays small.
 */
const MAX_PARAMS = 30_000;
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Copies one machine's whole SQLite history into an empty, migrated PostgreSQL database: every
 * table, every row as it is (ids kept), in one transaction, then each identity sequence set past
 * its table's highest id so new rows continue after the copied ones. The SQLite side is read in
 * one read transaction: a consistent snapshot even if something writes meanwhile.
 */
export function copyHistory(from: SqliteDb, to: PostgresDb): CopiedTable[] {
  if (from.version() !== to.version()) {
    throw new CopyRefused(`the SQLite history is at schema version ${from.version()} and ${redactUrl(to.url)} at ${to.version()}; run the same dropwork on both`);
  }
  const tables = tablesInOrder(from);
  const target = targetColumns(to);
  for (const t of tables) {
    const have = target.get(t.name);
    const missing = have ? t.columns.filter((c) => !have.has(c)) : t.columns;
    if (missing.length > 0) throw new CopyRefused(`${redactUrl(to.url)} has no ${have ? `column ${missing.join(', ')} in table ${t.name}` : `table ${t.name}`}; its schema is not this dropwork's`);
  }
  const held = tables.map((t) => ({ table: t.name, rows: (to.query(`SELECT count(*) AS n FROM dropwork.${t.name}`).rows[0] as { n: number }).n })).filter((t) => t.rows > 0);
  if (held.length > 0) {
    const jobs = held.find((h) => h.table === 'jobs')?.rows ?? 0;
    const rows = held.reduce((s, h) => s + h.rows, 0);
    throw new CopyRefused(`${redactUrl(to.url)} is not empty: it holds a history already (${jobs} job(s), ${rows} row(s) in ${held.length} table(s)); copy only into a new, empty database`);
  }

  const copied: CopiedTable[] = [];
  from.raw.exec('BEGIN');
  try {
    to.transaction(() => {
      for (const t of tables) copied.push({ table: t.name, rows: copyTable(from, to, t.name, t.columns) });
      setSequences(to);
    })();
  } finally {
    from.raw.exec('COMMIT');
  }
  return copied;
}

function copyTable(from: SqliteDb, to: PostgresDb, table: string, columns: string[]): number {
  const quoted = columns.map((c) => `"${c}"`).join(', ');
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  let batch: unknown[][] = [];
  let bytes = 0;
  let n = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const values = batch.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
    to.query(`INSERT INTO dropwork.${table} (${quoted}) VALUES ${values}`, batch.flat());
    n += batch.length;
    batch = [];
    bytes = 0;
  };
  const rows = from.raw.prepare(`SELECT ${quoted} FROM "${table}" ORDER BY rowid`).raw(true).iterate() as IterableIterator<unknown[]>;
  for (const row of rows) {
    batch.push(row);
    for (const v of row) bytes += Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 8;
    if (batch.length >= perBatch || bytes >= BATCH_BYTES) flush();
  }
  flush();
  return n;
}

/** The history's tables, each after the tables it refers to (jobs before job_log). */
function tablesInOrder(db: SqliteDb): { name: string; columns: string[] }[] {
  const names = (db.raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const refs = new Map(names.map((n) => [n, (db.raw.pragma(`foreign_key_list("${n}")`) as { table: string }[]).map((f) => f.table).filter((t) => t !== n)]));
  const ordered: string[] = [];
  const visit = (n: string): void => {
    if (ordered.includes(n)) return;
    for (const r of refs.get(n) ?? []) visit(r);
    ordered.push(n);
  };
  for (const n of names) visit(n);
  return ordered.filter((n) => names.includes(n)).map((name) => ({ name, columns: (db.raw.pragma(`table_info("${name}")`) as { name: string }[]).map((c) => c.name) }));
}

function targetColumns(db: PostgresDb): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of db.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'dropwork'").rows as { table_name: string; column_name: string }[]) {
    const set = out.get(r.table_name) ?? new Set<string>();
    set.add(r.column_name);
    out.set(r.table_name, set);
  }
  return out;
}

/** New rows continue after the copied ids: each identity's next value is its table's max + 1. */
function setSequences(db: PostgresDb): void {
  const identities = db.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'dropwork' AND is_identity = 'YES'").rows as { table_name: string; column_name: string }[];
  for (const { table_name: t, column_name: c } of identities) {
    db.query(`SELECT setval(pg_get_serial_sequence('dropwork.${t}', '${c}'), coalesce((SELECT max("${c}") FROM dropwork.${t}), 0) + 1, false)`);
  }
}
