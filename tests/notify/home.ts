/**
 * A throwaway dropwork home (real folders, a real SQLite file) and a real daemon on it, for
 * the notify and schedule tests. HOME and DROPWORK_HOME point into the temp folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config.js';
import { Daemon, ensureDirs } from '../../src/daemon.js';
import { resolvePaths, type Paths } from '../../src/paths.js';

export interface TestHome {
  dir: string;
  paths: Paths;
  /** Writes rules/<name>.yaml. */
  rule(name: string, yaml: string): void;
  /** An absolute folder in the home, created. */
  folder(rel: string): string;
  /** The daemon's JSON log lines. */
  logLines(): { level: string; msg: string; [k: string]: unknown }[];
  remove(): void;
}

export function makeHome(prefix = 'dropwork-test-'): TestHome {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  process.env.HOME = dir;
  process.env.DROPWORK_HOME = dir;
  const paths = resolvePaths();
  ensureDirs(paths);
  return {
    dir,
    paths,
    rule: (name, yaml) => fs.writeFileSync(path.join(paths.rulesDir, `${name}.yaml`), yaml),
    folder(rel) {
      const abs = path.join(dir, rel);
      fs.mkdirSync(abs, { recursive: true });
      return abs;
    },
    logLines() {
      const file = path.join(paths.logsDir, 'dropwork.log');
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string });
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export async function startDaemon(home: TestHome, overrides: Partial<Config> = {}): Promise<Daemon> {
  const daemon = new Daemon({ paths: home.paths, configOverrides: { settle_ms: 150, max_attempts: 1, ...overrides } });
  await daemon.start();
  return daemon;
}

export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Drops `n` small files named by `name(i)` into `folder`. */
export function dropFiles(folder: string, n: number, name: (i: number) => string): string[] {
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(folder, name(i));
    fs.writeFileSync(file, `content of ${name(i)} ${i}\n`);
    files.push(file);
  }
  return files;
}
