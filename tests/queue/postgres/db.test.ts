import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaVersion } from '../../../src/queue/db.js';
import { StoreUnavailable } from '../../../src/errors.js';
import { PostgresDb } from '../../../src/queue/postgres/db.js';
import { REPO } from '../../support/home.js';
import { useCluster } from '../../support/team.js';

const team = useCluster();

describe('the PostgreSQL connection', () => {
  it('never commits half a transaction when the server restarts in the middle of it', () => {
    const db = new PostgresDb(team.cluster.database());
    try {
      db.prepare('CREATE TABLE dropwork.t (n INTEGER)').run();
      const write = db.transaction(() => {
        db.prepare('INSERT INTO t (n) VALUES (1)').run();
        // The server goes away and comes back between two statements of one transaction, and
        // the connection's thread has already reconnected when the second one is sent.
        team.cluster.stop();
        team.cluster.start();
        const until = Date.now() + 20_000;
        while (!db.conn.reachable && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        expect(db.conn.reachable).toBe(true);
        db.prepare('INSERT INTO t (n) VALUES (2)').run();
      });
      expect(() => write()).toThrow(StoreUnavailable);
      // Once the thread has reconnected, the next transaction runs whole, and the first left nothing.
      const until = Date.now() + 20_000;
      for (;;) {
        try {
          db.transaction(() => db.prepare('INSERT INTO t (n) VALUES (3)').run())();
          break;
        } catch (err) {
          if (!(err instanceof StoreUnavailable) || Date.now() > until) throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }
      }
      expect(db.prepare('SELECT n FROM t ORDER BY n').all()).toEqual([{ n: 3 }]);
    } finally {
      db.close();
    }
  });

  it('lets hosts that start together on a new database migrate it once', async () => {
    const HOSTS = 6;
    const url = team.cluster.database();
    // Separate processes, as hosts are: each opens the store (which migrates) at the same moment.
    // Each waits for the same moment (its start-up takes a while) before it opens the store.
    const open = `const { PostgresDb } = await import(${JSON.stringify(path.join(REPO, 'dist/queue/postgres/db.js'))});
      while (Date.now() < Number(process.argv[2])) {}
      const db = new PostgresDb(process.argv[1]); process.stdout.write(String(db.version())); db.close(); process.exit(0);`;
    const at = String(Date.now() + 3000);
    const results = await Promise.all(Array.from({ length: HOSTS }, () => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', open, url, at], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.once('exit', (code) => resolve({ code, out }));
    })));
    expect(results).toEqual(Array.from({ length: HOSTS }, () => ({ code: 0, out: String(schemaVersion()) })));
    const db = new PostgresDb(url);
    try {
      expect(db.prepare('SELECT version, count(*) AS n FROM dropwork.schema_version GROUP BY version HAVING count(*) > 1').all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('wakes a host when another queues work (LISTEN/NOTIFY), not at its next poll', async () => {
    const url = team.cluster.database();
    const a = new PostgresDb(url);
    const b = new PostgresDb(url);
    try {
      let woken = 0;
      a.onWork(() => { woken++; });
      // Listening starts on the connection's own thread; it says so with a first wake-up.
      const listening = Date.now() + 10_000;
      while (woken === 0 && Date.now() < listening) await new Promise((r) => setTimeout(r, 20));
      woken = 0;
      const changesBefore = a.dataVersion();
      const queued = Date.now();
      b.prepare("INSERT INTO jobs (rule, trigger, status, run_at, created_at, updated_at) VALUES ('r', 'watch', 'queued', 0, 0, 0)").run();
      while (woken === 0 && Date.now() - queued < 5_000) await new Promise((r) => setTimeout(r, 5));
      expect(woken).toBe(1);
      expect(Date.now() - queued).toBeLessThan(2_000);
      // The same commit tells the dashboards something changed.
      expect(a.dataVersion()).toBeGreaterThan(changesBefore);
      // A job that is not queued wakes nobody.
      woken = 0;
      b.prepare("INSERT INTO jobs (rule, trigger, status, run_at, created_at, updated_at) VALUES ('r', 'watch', 'skipped', 0, 0, 0)").run();
      await new Promise((r) => setTimeout(r, 500));
      expect(woken).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('says the server cannot be reached at once, and answers again when it is back', () => {
    const db = new PostgresDb(team.cluster.database());
    try {
      team.cluster.stop();
      const started = Date.now();
      expect(() => db.prepare('SELECT 1 AS one').get()).toThrow(StoreUnavailable);
      expect(() => db.prepare('SELECT 1 AS one').get()).toThrow(/cannot be reached/);
      expect(Date.now() - started).toBeLessThan(5_000);
      team.cluster.start();
      const until = Date.now() + 20_000;
      let row: unknown;
      while (row === undefined) {
        try {
          row = db.prepare('SELECT 1 AS one').get();
        } catch (err) {
          if (!(err instanceof StoreUnavailable) || Date.now() > until) throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }
      }
      expect(row).toEqual({ one: 1 });
    } finally {
      db.close();
    }
  });
});
