/**
 * Which undo records this host wrote. On a team the history is a database others can write
 * (anyone with its URL); a row there is no proof that this host changed a file. So each change
 * a host journals is marked with an HMAC under a key only that host has (`undo/seal.key` in its
 * data folder, 0600), kept in the history's `state` table beside the job. A revert believes a
 * row only when this host's mark is there: a row written into the database by hand, or one
 * another host wrote about its own disk, is refused. Marks are kept in `state` rather than a new
 * column, so a host of the previous version can still share the database.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import type { Db } from '../queue/db.js';
import type { Change } from './journal.js';

/** Keys by file: read once per process, not once per job (the worker journals every job). */
const keys = new Map<string, Buffer>();

export class Seal {
  private key: Buffer | undefined;

  constructor(readonly file: string) {}

  /** The mark of job `jobId`'s change `c`: 128 bits of HMAC-SHA256 over every field revert uses. */
  of(jobId: number, c: Change): string {
    const prev = c.kind === 'replaced' || c.kind === 'appended' ? [c.prevSha256, c.prevSize] : [null, null];
    const moved = c.kind === 'original' ? [c.movedTo, c.trashInfo ?? null] : [null, null];
    const text = JSON.stringify([jobId, c.kind, c.path, ...moved, c.sha256, c.size, ...prev]);
    return createHmac('sha256', this.secret()).update(text).digest('hex').slice(0, 32);
  }

  /** The key, made on first use (exclusively: two processes starting at once agree on one). */
  private secret(): Buffer {
    this.key ??= keys.get(this.file);
    if (this.key) return this.key;
    try {
      this.key = fs.readFileSync(this.file);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      try {
        fs.writeFileSync(this.file, randomBytes(32), { flag: 'wx', mode: 0o600 });
      } catch (e) {
        if (errorCode(e) !== 'EEXIST') throw e;
      }
      this.key = fs.readFileSync(this.file);
    }
    if (this.key.length < 32) throw new Error(`${this.file} is not a key dropwork wrote (too short); remove it to make a new one (earlier jobs then cannot be reverted)`);
    keys.set(this.file, this.key);
    return this.key;
  }
}

const keyOf = (jobId: number): string => `undo-seal:${jobId}`;

/** The marks recorded for a job (every host's that journaled part of it). */
export function marksOf(db: Db, jobId: number): string[] {
  const row = db.prepare('SELECT value FROM state WHERE key = ?').get(keyOf(jobId)) as { value: string } | undefined;
  if (!row) return [];
  try {
    const v = JSON.parse(row.value) as unknown;
    return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}

/** Adds this host's marks for `changes`; inside the transaction that saves them. */
export function sealChanges(db: Db, jobId: number, changes: readonly Change[], seal: Seal): void {
  if (changes.length === 0) return;
  const marks = [...marksOf(db, jobId), ...changes.map((c) => seal.of(jobId, c))];
  db.prepare('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(keyOf(jobId), JSON.stringify(marks));
}

/** How many of a job's changes this host did not mark, and whether it has any marks at all (none: a record from before marks). */
export function unmarked(db: Db, jobId: number, changes: readonly Change[], seal: Seal): { count: number; anyMarks: boolean } {
  const marks = new Set(marksOf(db, jobId));
  return { count: changes.filter((c) => !marks.has(seal.of(jobId, c))).length, anyMarks: marks.size > 0 };
}
