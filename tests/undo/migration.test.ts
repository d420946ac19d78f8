/** The undo migration on a history written before it: every row and step-log line kept. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { SqliteDb } from '../../src/queue/db.js';
import { Store } from '../../src/queue/store.js';

const MIGRATIONS = path.resolve('src/queue/migrations');
let dir = '';
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('upgrades an existing history: jobs and their logs stay, and a job can then be reverted', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-migrate-'));
  const file = path.join(dir, 'dropwork.db');
  // The database as the previous release left it: migrations 1 and 2 only.
  const old = new Database(file);
  for (const f of fs.readdirSync(MIGRATIONS).filter((n) => /^000[12]_/.test(n)).sort()) old.exec(fs.readFileSync(path.join(MIGRATIONS, f), 'utf8'));
  old.pragma('user_version = 2');
  old.prepare("INSERT INTO jobs (rule, trigger, status, run_at, created_at, updated_at) VALUES ('r', 'manual', 'succeeded', 1, 1, 1)").run();
  old.prepare("INSERT INTO job_log (job_id, at, kind, message) VALUES (1, 1, 'published', '/out/a.txt')").run();
  old.close();

  const store = new Store(file);
  try {
    expect(store.get(1)?.status).toBe('succeeded');
    expect(store.logs(1).map((l) => l.message)).toEqual(['/out/a.txt']);
    expect(store.move(1, 'reverted')?.status).toBe('reverted');
    // Other statuses are still refused: the check was widened, not dropped.
    expect(() => store.db.prepare("UPDATE jobs SET status = 'bogus' WHERE id = 1").run()).toThrow(/CHECK/);
    expect((store.db as SqliteDb).raw.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    store.close();
  }
  // A second process opening it later sees the new definition too.
  const again = new Store(file);
  expect(again.get(1)?.status).toBe('reverted');
  again.close();
});
