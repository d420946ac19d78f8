import fs from 'node:fs';
import type { Db, Statement } from '../queue/db.js';
import { factsOf, type ContentFacts } from '../publish/content.js';
import type { Blobs } from './blobs.js';
import { sealChanges, type Seal } from './seal.js';

/** One change a job made to the user's files, enough to put it back exactly. */
export type Change =
  | { kind: 'created'; path: string; sha256: string; size: number }
  | { kind: 'replaced'; path: string; sha256: string; size: number; prevSha256: string; prevSize: number }
  | { kind: 'appended'; path: string; sha256: string; size: number; prevSha256: string; prevSize: number }
  /** after: moved the original from `path` to `movedTo` (with `trashInfo` beside it in a trash). */
  | { kind: 'original'; path: string; movedTo: string; trashInfo?: string; sha256: string; size: number };

/**
 * What publishing and `after:` record while they work. Publishing asks it to keep the earlier
 * version of a file before replacing it; the list is saved with the job's success in one
 * transaction (saveJournal), so a job is never "done" without a way back.
 */
export class Journal {
  readonly changes: Change[] = [];

  constructor(private readonly blobs: Blobs) {}

  /** Before `dest` is replaced: keep its current version. Undefined when there is nothing there. */
  keepBefore(dest: string, readFrom?: string): { sha256: string; size: number } | undefined {
    // `readFrom`: the file as publishing opened it (without following), read instead of the name.
    if (readFrom) return this.blobs.keep(readFrom);
    try {
      if (!fs.lstatSync(dest).isFile()) return undefined;
    } catch {
      return undefined;
    }
    return this.blobs.keep(dest);
  }

  /**
   * A file now at `dest`; `before` is what keepBefore returned for it, if anything; `facts`, what
   * was placed there when publishing knows it (otherwise the file is read and hashed).
   */
  wrote(dest: string, before?: { sha256: string; size: number }, facts?: ContentFacts): void {
    const now = facts ? { size: facts.size, sha256: facts.sha256 } : factsOf(dest);
    if (!before) this.changes.push({ kind: 'created', path: dest, ...now });
    else if (before.sha256 !== now.sha256) this.changes.push({ kind: 'replaced', path: dest, ...now, prevSha256: before.sha256, prevSize: before.size });
  }

  /** `dest` had `before` as its first bytes and the job added the rest. */
  appended(dest: string, before: { sha256: string; size: number }, after?: ContentFacts): void {
    const now = after ?? factsOf(dest);
    if (now.size !== before.size) this.changes.push({ kind: 'appended', path: dest, ...now, prevSha256: before.sha256, prevSize: before.size });
  }

  movedOriginal(from: string, movedTo: string, content: { sha256: string; size: number }, trashInfo?: string): void {
    this.changes.push({ kind: 'original', path: from, movedTo, ...content, ...(trashInfo ? { trashInfo } : {}) });
  }
}

interface JournalRow {
  id: number;
  job_id: number;
  kind: Change['kind'];
  path: string;
  moved_to: string | null;
  trash_info: string | null;
  sha256: string;
  size: number;
  prev_sha256: string | null;
  prev_size: number | null;
}

/**
 * Saves a job's changes, marked as this host's (seal.ts: a revert believes only its own marks);
 * call inside the transaction that marks the job succeeded.
 */
export function saveJournal(db: Db, jobId: number, changes: readonly Change[], seal: Seal, now = Date.now()): void {
  const { insert, kept } = statementsFor(db);
  sealChanges(db, jobId, changes, seal);
  for (const c of changes) {
    if (c.kind === 'replaced') kept.run(c.prevSha256, c.prevSize, now);
    const prev = c.kind === 'replaced' || c.kind === 'appended' ? c : undefined;
    const moved = c.kind === 'original' ? c : undefined;
    insert.run(jobId, c.kind, c.path, moved?.movedTo ?? null, moved?.trashInfo ?? null, c.sha256, c.size, prev?.prevSha256 ?? null, prev?.prevSize ?? null, now);
  }
}

const statements = new WeakMap<Db, { insert: Statement; kept: Statement }>();

/** saveJournal's statements, prepared once per connection (once per job cost more than the inserts). */
function statementsFor(db: Db): { insert: Statement; kept: Statement } {
  let s = statements.get(db);
  if (!s) {
    s = {
      insert: db.prepare(`INSERT INTO undo_journal (job_id, kind, path, moved_to, trash_info, sha256, size, prev_sha256, prev_size, at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      kept: db.prepare('INSERT INTO undo_blobs (sha256, size, kept_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING'),
    };
    statements.set(db, s);
  }
  return s;
}

function toChange(r: JournalRow): Change {
  switch (r.kind) {
    case 'created':
      return { kind: 'created', path: r.path, sha256: r.sha256, size: r.size };
    case 'replaced':
    case 'appended':
      return { kind: r.kind, path: r.path, sha256: r.sha256, size: r.size, prevSha256: r.prev_sha256 ?? '', prevSize: r.prev_size ?? 0 };
    case 'original':
      return { kind: 'original', path: r.path, movedTo: r.moved_to ?? '', sha256: r.sha256, size: r.size, ...(r.trash_info ? { trashInfo: r.trash_info } : {}) };
  }
}

/** A job's changes in the order they were made. */
export function changesOf(db: Db, jobId: number): Change[] {
  return (db.prepare('SELECT * FROM undo_journal WHERE job_id = ? ORDER BY id').all(jobId) as JournalRow[]).map(toChange);
}

/** Jobs after `jobId`, still standing (not reverted), that changed one of these paths. */
export function laterJobsTouching(db: Db, jobId: number, paths: readonly string[]): { job: number; path: string }[] {
  if (paths.length === 0) return [];
  return db.prepare(`SELECT DISTINCT u.job_id AS job, u.path AS path FROM undo_journal u JOIN jobs j ON j.id = u.job_id
      WHERE u.job_id > ? AND j.status = 'succeeded' AND (u.path IN (SELECT value FROM json_each(?)) OR u.moved_to IN (SELECT value FROM json_each(?)))
      ORDER BY u.job_id`).all(jobId, JSON.stringify(paths), JSON.stringify(paths)) as { job: number; path: string }[];
}
