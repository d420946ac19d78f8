import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type Paths } from '../paths.js';
import { openStore } from '../queue/open.js';
import type { Store } from '../queue/store.js';
import type { DaemonState } from '../daemon.js';
import { runningPid } from '../pidfile.js';

/** The repository (or installed package) root, where the example rules and templates live. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function paths(): Paths {
  return resolvePaths();
}

/** Opens the history for a command; the CLI works whether or not the daemon runs. */
export function withStore<T>(fn: (store: Store, p: Paths) => T): T {
  const p = paths();
  const store = openStore(p);
  try {
    return fn(store, p);
  } finally {
    store.close();
  }
}

export function daemonState(store: Store, p: Paths): DaemonState | undefined {
  const pid = runningPid(p.pidFile);
  if (pid === undefined) return undefined;
  return store.getState<DaemonState>('daemon') ?? undefined;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A user-facing failure: the message, and exit code 1. */
export class CliError extends Error {}

export function exists(p: string): boolean {
  return fs.existsSync(p);
}

export function parseId(raw: string): number {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0) throw new CliError(`"${raw}" is not a job number`);
  return id;
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}
