import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { PostgresDb } from '../../src/queue/postgres/db.js';
import { Store } from '../../src/queue/store.js';
import { openStore } from '../../src/queue/open.js';
import { startCluster, type Cluster } from './postgres.js';

/**
 * The two stores, for test files that run the same tests against each (describe.each(stores())):
 * the embedded SQLite file and a real PostgreSQL server (a throwaway cluster started for the
 * file). `fresh()` makes an empty database and returns where it is; `open(where)` opens a store
 * on it, as another process would (call it twice for two hosts on one database).
 */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  fresh(): string;
  open(where: string): Store;
  /** The PostgreSQL server, for tests that stop and start it (undefined for SQLite). */
  cluster(): Cluster | undefined;
}

export function stores(): StoreBackend[] {
  let cluster: Cluster | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(() => {
    cluster?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return [
    {
      name: 'sqlite',
      fresh: () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-store-'));
        dirs.push(d);
        return path.join(d, 'dropwork.db');
      },
      open: (where) => new Store(where),
      cluster: () => undefined,
    },
    {
      name: 'postgres',
      fresh: () => {
        if (!cluster) throw new Error('the PostgreSQL cluster did not start');
        return cluster.database();
      },
      open: (where) => openStore({ dbFile: '', configFile: '' }, { database: where, host_name: 'test', lease_seconds: 60 }),
      cluster: () => cluster,
    },
  ];
}

/** A job as the watcher queues it: content `sha` found at `file` for `rule`. */
export const newJob = (sha: string, rule = 'r', file = `/in/${sha}.pdf`) => ({ rule, file, sha256: sha, trigger: 'watch' as const, dedupe: true });

/** An empty database on `backend` (where it is) and a store open on it, for a beforeEach. */
export function freshStore(backend: StoreBackend): { where: string; store: Store } {
  const where = backend.fresh();
  return { where, store: backend.open(where) };
}

export { PostgresDb };
