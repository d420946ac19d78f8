/**
 * `dropwork db migrate` and `dropwork db copy` as a person runs them (the built CLI), against a
 * real SQLite history and a real PostgreSQL server: the copy is checked row by row, every table.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { schemaVersion, SqliteDb } from '../../src/queue/db.js';
import { PostgresDb } from '../../src/queue/postgres/db.js';
import { PostgresStore } from '../../src/queue/postgres/store.js';
import { Store } from '../../src/queue/store.js';
import { addExample, addProgram } from '../../src/program/store.js';
import { keepDecision } from '../../src/agent/condition-cache.js';
import { saveJournal } from '../../src/undo/journal.js';
import { Seal } from '../../src/undo/seal.js';
import { startCluster, type Cluster } from '../support/postgres.js';
import { cli, makeMachine, type Machine } from '../service/helpers.js';

const PASSWORD = 'pw-never-printed-7f3a';

let cluster: Cluster;
let m: Machine;
beforeAll(async () => { cluster = await startCluster(); }, 120_000);
afterAll(() => cluster?.close());
afterEach(() => m?.remove());

/** A URL for a new database, with a password (the test cluster trusts any). */
function database(): string {
  const u = new URL(cluster.database());
  u.password = PASSWORD;
  return u.toString();
}

/** One machine's history with a row in every table, binary files and fractional times among them. */
function fillHistory(file: string): void {
  const store = new Store(file);
  store.hostName = 'laptop';
  const job = (sha: string, rule = 'r') => store.enqueue({ rule, file: `/in/${sha}.pdf`, sha256: sha, trigger: 'watch', dedupe: true, payload: { n: sha } })!;
  const a = job('a');
  const b = job('b');
  const c = job('c', 'ledger');
  store.enqueue({ rule: 'r', file: '/in/dup.pdf', sha256: 'a', trigger: 'watch', dedupe: false, status: 'skipped', reason: 'a duplicate', payload: { duplicate_of: a.id } });
  store.claim('laptop/w', [], Date.now() + 0.5);
  store.addUsage(a.id, { input_tokens: 1234, output_tokens: 56, cache_read_tokens: 7, cache_write_tokens: 8, cost_usd: 0.0123456789 });
  store.move(a.id, 'succeeded', { outputs: JSON.stringify(['/out/a.pdf']) }, { worker: 'laptop/w' });
  store.claim('laptop/w');
  store.move(b.id, 'failed', { last_error: 'it broke: "quotes" and \\ backslashes', reason: 'ünïcode ✓' }, { worker: 'laptop/w' });
  store.move(b.id, 'queued', { run_at: Date.now() + 1234.75 });
  store.log(a.id, 'step', 'copied', { to: '/out/a.pdf' });
  store.log(a.id, 'done', 'finished');
  store.rememberHash('/in/a.pdf', 10, 1700000000000.125, 'a');
  store.setState('daemon', { pid: 1 });
  store.setState('key-ok', true);
  store.drops.put({ rule: 'r', path: '/in/a.pdf', size: 10, mtime_ms: 1700000000000.125, rule_def: 'd', job_id: a.id });
  store.drops.produce('r', a.id, 'a', ['out-a']);
  saveJournal(store.db, a.id, [
    { kind: 'created', path: '/out/a.pdf', sha256: 'x', size: 3 },
    { kind: 'replaced', path: '/out/r.pdf', sha256: 'y', size: 4, prevSha256: 'z', prevSize: 5 },
  ], new Seal(`${file}.seal.key`));
  store.db.prepare('INSERT INTO reverts (jobs, by, started_at, finished_at) VALUES (?, ?, ?, ?)').run(JSON.stringify([a.id]), 'by hand', 1000.5, 2000.25);
  const program = addProgram(store.db, { rule: 'ledger', taskHash: 't', status: 'suggested', source: 'print(1)\n', examples: [c.id], replay: [], compileJob: c.id });
  addExample(store.db, { job_id: c.id, rule: 'ledger', task_hash: 't', dir: '/ex/c', cost_usd: 0.5 });
  keepDecision(store.db, 'k1', { rule: 'r', sha256: 'a', match: true, reason: 'yes', model: 'm', costUsd: 0.001 });
  store.heartbeatHost({ name: 'laptop', role: 'all', version: '0.2.0', pid: 77, started_at: 1.5, running: 0, rules: '{}' });
  store.keepFile(c.id, 'all bytes.bin', Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256)), 'sha-c');
  // A gap in the ids: the sequence must go past the highest, not the count.
  store.db.prepare('UPDATE programs SET id = 40 WHERE id = ?').run(program.id);
  store.close();
}

type Row = Record<string, unknown>;
const norm = (r: Row): Row => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v]));

/** Every row of every table of the SQLite file, and the same of the PostgreSQL copy. */
function bothSides(file: string, url: string): { table: string; sqlite: Row[]; postgres: Row[] }[] {
  const sqlite = new SqliteDb(file);
  const pg = new PostgresDb(url, { migrate: false });
  try {
    const tables = (sqlite.raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return tables.map((table) => {
      const info = sqlite.raw.pragma(`table_info("${table}")`) as { name: string; pk: number }[];
      const cols = info.map((c) => `"${c.name}"`).join(', ');
      const key = info.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk).map((c) => `"${c.name}"`).join(', ') || cols;
      return {
        table,
        sqlite: (sqlite.raw.prepare(`SELECT ${cols} FROM "${table}" ORDER BY ${key}`).all() as Row[]).map(norm),
        postgres: (pg.query(`SELECT ${cols} FROM dropwork.${table} ORDER BY ${key}`).rows).map(norm),
      };
    });
  } finally {
    sqlite.close();
    pg.close();
  }
}

describe('dropwork db copy', () => {
  it('copies every row of every table exactly, ids kept, and new ids continue after them', async () => {
    m = makeMachine();
    const file = resolvePaths(m.env).dbFile;
    fillHistory(file);
    const url = database();
    const r = await cli(['db', 'copy', '--to', url], m.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).toMatch(/jobs\s+4\b/);
    expect(r.stdout).toMatch(/job_files\s+1\b/);
    expect(r.stdout).toContain(`schema version ${schemaVersion()}`);

    const sides = bothSides(file, url);
    const filled = ['jobs', 'job_log', 'job_files', 'hosts', 'undo_journal', 'programs', 'condition_cache', 'drops', 'produced', 'state', 'file_hashes', 'reverts', 'undo_blobs', 'program_examples'];
    expect(sides.map((s) => s.table)).toEqual(expect.arrayContaining(filled));
    for (const s of sides) {
      // fillHistory puts rows in these; a table added since is compared all the same.
      if (filled.includes(s.table)) expect(s.sqlite.length, `${s.table} has rows to compare`).toBeGreaterThan(0);
      expect(s.postgres, s.table).toEqual(s.sqlite);
    }

    const store = new PostgresStore(new PostgresDb(url));
    try {
      expect(store.enqueue({ rule: 'r', file: null, sha256: 'new', trigger: 'manual', dedupe: false })?.id).toBe(5);
      expect(addProgram(store.db, { rule: 'x', taskHash: 't', status: 'suggested', examples: [], replay: [] }).id).toBe(41);
      expect(store.logs(1).map((l) => l.message)).toEqual(['copied', 'finished']);
      store.log(1, 'more', 'after the copy');
      expect(store.logs(1).map((l) => l.id)).toEqual([1, 2, 3]);
    } finally {
      store.close();
    }

    const again = await cli(['db', 'copy', '--to', url], m.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/nothing was copied: .* is not empty: it holds a history already \(5 job\(s\), /);
    expect(again.stderr).not.toContain(PASSWORD);
  });

  it('says so, without the password, when the server cannot be reached or there is nothing to copy', async () => {
    m = makeMachine();
    const none = await cli(['db', 'copy', '--to', database()], m.env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('there is no history to copy');
    fillHistory(resolvePaths(m.env).dbFile);
    const gone = await cli(['db', 'copy', '--to', `postgres://someone:${PASSWORD}@127.0.0.1:1/nowhere`], m.env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/cannot reach postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect(gone.stderr).not.toContain(PASSWORD);
    const notPg = await cli(['db', 'copy', '--to', 'mysql://x@y/z'], m.env);
    expect(notPg.stderr).toContain('--to takes a postgres:// URL');
    // A daemon at work would change jobs after they were copied.
    fs.writeFileSync(resolvePaths(m.env).pidFile, `${process.pid}\n`);
    const running = await cli(['db', 'copy', '--to', database()], m.env);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain(`the daemon is running (pid ${process.pid}); stop it first`);
  });
});

describe('dropwork db migrate', () => {
  it('brings the configured PostgreSQL database to this schema, once, and refuses a newer one', async () => {
    m = makeMachine();
    const url = database();
    const env = { ...m.env, DROPWORK_DATABASE_URL: url };
    const first = await cli(['db', 'migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`schema version 0 → ${schemaVersion()}`);
    expect(first.stdout).toContain('postgres://postgres:***@');
    expect(first.stdout).not.toContain(PASSWORD);
    const second = await cli(['db', 'migrate'], env);
    expect(second.stdout).toContain(`schema version ${schemaVersion()}, already up to date`);

    const pg = new PostgresDb(url, { migrate: false });
    pg.query('INSERT INTO dropwork.schema_version (version) VALUES (999)');
    pg.close();
    const newer = await cli(['db', 'migrate'], env);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toContain('at schema version 999, newer than this dropwork');
  });

  it('brings the SQLite file to this schema when no database is configured', async () => {
    m = makeMachine();
    const first = await cli(['db', 'migrate'], m.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`schema version 0 → ${schemaVersion()}`);
    expect(fs.existsSync(resolvePaths(m.env).dbFile)).toBe(true);
    expect((await cli(['db', 'migrate'], m.env)).stdout).toContain('already up to date');
  });

  it('on a fresh database after doctor says "run dropwork db migrate": before and after, since the doctor changed nothing', async () => {
    m = makeMachine();
    const url = database();
    const team = { ...m.env, DROPWORK_DATABASE_URL: url };
    const local = m.env;
    const [teamDoctor, localDoctor] = await Promise.all([cli(['doctor', '--json'], team), cli(['doctor', '--json'], local)]);
    const schema = (JSON.parse(teamDoctor.stdout) as { checks: { id: string; summary: string; fix?: string }[] }).checks.find((c) => c.id === 'team-schema');
    expect(schema).toMatchObject({ summary: `schema version 0; this dropwork writes ${schemaVersion()}`, fix: 'run dropwork db migrate' });
    expect(fs.existsSync(resolvePaths(local).dbFile)).toBe(false);
    expect(localDoctor.stdout).toContain('nothing kept yet');
    const [first, firstLocal] = await Promise.all([cli(['db', 'migrate'], team), cli(['db', 'migrate'], local)]);
    expect(first.stdout).toContain(`schema version 0 → ${schemaVersion()}.`);
    expect(firstLocal.stdout).toContain(`schema version 0 → ${schemaVersion()}.`);
    expect((await cli(['db', 'migrate'], team)).stdout).toContain(`schema version ${schemaVersion()}, already up to date`);
  }, 120_000);
});
