import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { makeHome, type TestHome } from './home.js';
import { startCluster, type Cluster } from './postgres.js';

/**
 * What a team test file stands on: one throwaway PostgreSQL cluster for the whole file (starting
 * one takes seconds, so tests share it and each takes its own database), and the homes and
 * folders its tests make, all removed after the file.
 */
export interface TeamBench {
  /** The running cluster (from beforeAll on). */
  readonly cluster: Cluster;
  /** A dropwork home (see support/home.ts), removed after the file. */
  home(opts?: Parameters<typeof makeHome>[0]): TestHome;
  /** An empty temp folder, removed after the file. */
  folder(prefix: string): string;
}

/** Call at the top of a test file: registers the cluster's start and the clean-up. */
export function useCluster(): TeamBench {
  let cluster: Cluster | undefined;
  const homes: TestHome[] = [];
  const folders: string[] = [];
  beforeAll(async () => { cluster = await startCluster(); }, 120_000);
  afterAll(() => {
    cluster?.close();
    for (const h of homes) h.cleanup();
    for (const d of folders) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    get cluster(): Cluster {
      if (!cluster) throw new Error('the PostgreSQL cluster did not start');
      return cluster;
    },
    home: (opts) => {
      const h = makeHome(opts);
      homes.push(h);
      return h;
    },
    folder: (prefix) => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      folders.push(d);
      return d;
    },
  };
}
