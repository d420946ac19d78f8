import type { Db } from '../queue/db.js';
import type { JobRow } from '../queue/status.js';
import { sha256Prefix } from '../publish/content.js';
import { clip } from '../nofollow.js';
import { isBlobName, stateOf, type Blobs } from './blobs.js';
import { changesOf, laterJobsTouching, type Change } from './journal.js';
import { unmarked } from './seal.js';

/** A file's content as revert sees it: hash and size, or null for "no file there". */
export type FileState = { sha256: string; size: number } | null;

/** One thing revert does, with the state it expects to find (checked again when it runs). */
export type Step =
  | { job: number; do: 'remove'; path: string; expect: FileState }
  | { job: number; do: 'restore'; path: string; expect: FileState; blob: string; to: FileState }
  | { job: number; do: 'truncate'; path: string; expect: FileState; to: FileState }
  | { job: number; do: 'return'; path: string; movedTo: string; trashInfo?: string; content: FileState };

export interface Blocker {
  job: number;
  path: string;
  why: string;
  /** Later jobs that changed the file since: `--cascade` reverts them too. */
  later: number[];
}

export interface Plan {
  /** Every job the plan reverts, newest first (the requested ones, and with --cascade later ones). */
  jobs: number[];
  steps: Step[];
  blockers: Blocker[];
  /** Jobs that cannot be reverted at all, with why. */
  refused: { job: number; why: string }[];
  /** Requested jobs that were already reverted: nothing to do for them. */
  alreadyReverted: number[];
}

/** Whether two states are the same content (or both no file). */
export const same = (a: FileState, b: FileState): boolean => (a === null ? b === null : b !== null && a.sha256 === b.sha256 && a.size === b.size);

/**
 * Works out how to put back what `requested` jobs changed, newest first, touching nothing. Each
 * file's expected state is simulated through the plan, so a ledger three jobs appended to is
 * checked at each step. A file changed by someone else stops the plan (a blocker); one changed by
 * a later job stops it too unless `cascade`, which adds that job and plans again.
 */
export function planRevert(db: Db, blobs: Blobs, requested: readonly number[], cascade: boolean, ownOnly = false): Plan {
  const set = new Set(requested);
  for (;;) {
    const plan = simulate(db, blobs, set, requested, ownOnly);
    const more = cascade ? plan.blockers.flatMap((b) => b.later).filter((j) => !set.has(j)) : [];
    if (more.length === 0) return plan;
    for (const j of more) set.add(j);
  }
}

/**
 * `ownOnly`: every change must carry this host's mark (seal.ts). Without it, a record with no
 * marks at all (journaled before marks, on one machine's own SQLite file) is believed; a record
 * with marks is believed only in full either way.
 */
function simulate(db: Db, blobs: Blobs, set: ReadonlySet<number>, requested: readonly number[], ownOnly: boolean): Plan {
  const plan: Plan = { jobs: [], steps: [], blockers: [], refused: [], alreadyReverted: [] };
  const files = new Map<string, FileState>();
  const read = (p: string): FileState => {
    if (!files.has(p)) files.set(p, stateOf(p) ?? null);
    return files.get(p) ?? null;
  };
  const getJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
  for (const id of [...set].sort((a, b) => b - a)) {
    const job = getJob.get(id) as (JobRow & { undo_expired: number }) | undefined;
    if (!job) { plan.refused.push({ job: id, why: `there is no job ${id}` }); continue; }
    if (job.status === 'reverted') { if (requested.includes(id)) plan.alreadyReverted.push(id); continue; }
    if (job.status !== 'succeeded') { plan.refused.push({ job: id, why: `job ${id} is ${job.status}; only jobs that finished (done) changed anything to revert` }); continue; }
    if (job.undo_expired) { plan.refused.push({ job: id, why: `job ${id} can no longer be reverted: its undo record was pruned (undo_keep_days / undo_max_mb)` }); continue; }
    const changes = changesOf(db, id);
    const foreign = unmarked(db, id, changes, blobs.seal);
    if (foreign.count > 0 && (ownOnly || foreign.anyMarks)) {
      plan.refused.push({ job: id, why: `job ${id} cannot be reverted here: ${foreign.count} of the ${changes.length} change(s) its undo record lists were not recorded by this host (written into the database by hand, or made by another host on its own disk); revert it on the host that ran it` });
      continue;
    }
    plan.jobs.push(id);
    for (const c of [...changes].reverse()) {
      const problem = stepFor(id, c, read, files, blobs, plan.steps);
      if (problem) {
        const later = laterJobsTouching(db, id, [c.path, ...(c.kind === 'original' ? [c.movedTo] : [])]).map((l) => l.job).filter((j) => !set.has(j));
        plan.blockers.push({ job: id, path: problem.path, why: later.length ? `${problem.why}; changed since by job ${later.join(', job ')}` : problem.why, later: [...new Set(later)] });
      }
    }
  }
  return plan;
}

/** Adds the step that undoes `c` (or nothing when it is already undone); a problem when neither fits. */
function stepFor(job: number, c: Change, read: (p: string) => FileState, files: Map<string, FileState>, blobs: Blobs, steps: Step[]): { path: string; why: string } | undefined {
  const after: FileState = { sha256: c.sha256, size: c.size };
  if (c.kind === 'original') {
    const at = read(c.path);
    const moved = read(c.movedTo);
    if (same(at, after) && moved === null) return undefined;
    if ((same(at, after) || at === null) && same(moved, after)) {
      steps.push({ job, do: 'return', path: c.path, movedTo: c.movedTo, content: after, ...(c.trashInfo ? { trashInfo: c.trashInfo } : {}) });
      files.set(c.path, after);
      files.set(c.movedTo, null);
      return undefined;
    }
    if (!same(moved, after)) return { path: c.movedTo, why: `the original is no longer at ${c.movedTo}` };
    return { path: c.path, why: `another file is now at ${c.path}, where the original would go back` };
  }
  const now = read(c.path);
  const before: FileState = c.kind === 'created' ? null : { sha256: c.prevSha256, size: c.prevSize };
  if (same(now, before)) return undefined;
  if (!same(now, after)) {
    if (now === null) return { path: c.path, why: `${c.path} was removed since job ${job} wrote it` };
    const grown = c.kind === 'appended' && now.size > c.size && sha256Prefix(c.path, c.size) === c.sha256;
    return { path: c.path, why: grown ? `${c.path} was appended to after job ${job}` : `${c.path} changed since job ${job} wrote it` };
  }
  if (c.kind === 'created') steps.push({ job, do: 'remove', path: c.path, expect: after });
  else if (c.kind === 'appended') steps.push({ job, do: 'truncate', path: c.path, expect: after, to: before });
  else {
    if (!isBlobName(c.prevSha256)) return { path: c.path, why: `the undo record names the earlier version of ${c.path} "${clip(c.prevSha256, 80)}", which is not a sha256; refused` };
    if (!blobs.has(c.prevSha256)) return { path: c.path, why: `the earlier version of ${c.path} is no longer kept` };
    steps.push({ job, do: 'restore', path: c.path, expect: after, blob: c.prevSha256, to: before });
  }
  files.set(c.path, before);
  return undefined;
}
