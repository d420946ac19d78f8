import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fail, pass, type Check, type CheckResult } from '../check.js';

/** The better-sqlite3 the daemon will load (resolved only: loading it here is the risk). */
export function databaseModule(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

/**
 * Opens an in-memory database in a child process. Never in the doctor's own process: a module
 * built for another Node throws "NODE_MODULE_VERSION" at best, and an older Node that loads
 * better-sqlite3 13 dies of a segfault, which would take the doctor with it.
 */
const PROBE = `const D = require(process.argv[1]);
const db = new D(':memory:');
const v = db.prepare('select sqlite_version() as v').get().v;
db.close();
process.stdout.write(JSON.stringify({ node: process.versions.node, sqlite: v }));`;

const REINSTALL = 'reinstall dropwork with this Node (npm ci in a checkout, npm i -g dropwork otherwise), so its database module is built for it';

export function probeDatabase(node: string, modulePath: string): Promise<CheckResult> {
  return new Promise((resolve) => {
    execFile(node, ['-e', PROBE, modulePath], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (!err) {
        const { node: version, sqlite } = JSON.parse(stdout) as { node: string; sqlite: string };
        resolve(pass(`better-sqlite3 opens a database under Node ${version} (SQLite ${sqlite})`));
        return;
      }
      resolve(fail(`better-sqlite3 does not load under ${node}: ${why(err, stderr)}`, REINSTALL));
    });
  });
}

function why(err: Error & { code?: unknown; signal?: NodeJS.Signals | null; killed?: boolean }, stderr: string): string {
  if (err.signal) return err.killed ? `no answer within 15 s (${err.signal})` : `it crashed (${err.signal})`;
  const lines = stderr.split('\n').map((l) => l.trim());
  const version = lines.find((l) => /NODE_MODULE_VERSION/.test(l));
  if (version) return version;
  const thrown = lines.find((l) => /^(Error|TypeError|SyntaxError|RangeError)\b|^\w*Error:/.test(l));
  return thrown ?? lines.find(Boolean) ?? err.message;
}

export const databaseCheck: Check = {
  id: 'database',
  title: 'Database',
  run: () => probeDatabase(process.execPath, databaseModule()),
};
