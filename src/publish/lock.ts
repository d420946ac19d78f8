/**
 * One lock for publishing onto files that are already there (appends and replaces), held only
 * while they are checked and placed.
 *
 * Within one process, publishing is a single synchronous stretch (publish.ts has no await), so
 * two jobs of one daemon can never interleave the read of a ledger with its write: that is the
 * in-process lock, by construction. Other processes publish too (`dropwork run` without the
 * daemon, `dropwork approve` beside a running one), so the stretch also holds a lock across
 * processes: a write transaction (BEGIN IMMEDIATE) on a small SQLite file in the data folder.
 * SQLite is chosen over a lock file made with O_EXCL because the OS drops its lock when a
 * process dies (no stale lock after kill -9 to detect and break, which an O_EXCL file needs and
 * which races), it waits with a timeout by itself, and better-sqlite3 is already here.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const open = new Map<string, Database.Database>();

/** Runs `fn` holding the publish lock of `lockFile`; without one, just runs it. */
export function withPublishLock<T>(lockFile: string | undefined, fn: () => T): T {
  if (!lockFile) return fn();
  let db = open.get(lockFile);
  if (!db) {
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    db = new Database(lockFile);
    // A publish holds it for milliseconds; a minute covers a big copy onto a slow disk.
    db.pragma('busy_timeout = 60000');
    open.set(lockFile, db);
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    return fn();
  } finally {
    db.exec('COMMIT');
  }
}
