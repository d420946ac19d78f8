import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, UnrecoverableError } from '../errors.js';
import { stateOf, type Blobs } from './blobs.js';
import { same, type FileState, type Plan, type Step } from './plan.js';

const now = (p: string): FileState => stateOf(p) ?? null;

/**
 * Carries out one step. Each step checks the file first and is done already when it finds the
 * state it leads to, so a revert killed half-way is finished by running it again; it refuses
 * (throws) when the file is in neither state, so nothing a person changed meanwhile is lost.
 * Every write is a whole file renamed into place, or one truncate: never half a file.
 */
export function applyStep(step: Step, blobs: Blobs): 'done' | 'was done' {
  switch (step.do) {
    case 'remove': {
      const cur = now(step.path);
      if (cur === null) return 'was done';
      if (!same(cur, step.expect)) throw changed(step.path);
      fs.rmSync(step.path);
      return 'done';
    }
    case 'restore': {
      const cur = now(step.path);
      if (same(cur, step.to)) return 'was done';
      if (!same(cur, step.expect)) throw changed(step.path);
      const temp = tempBeside(step.path);
      try {
        fs.copyFileSync(blobs.pathOf(step.blob), temp, fs.constants.COPYFILE_FICLONE);
        if (!same(now(temp), step.to)) throw new UnrecoverableError(`the kept version of ${step.path} is damaged`);
        fs.renameSync(temp, step.path);
      } finally {
        fs.rmSync(temp, { force: true });
      }
      return 'done';
    }
    case 'truncate': {
      const cur = now(step.path);
      if (same(cur, step.to)) return 'was done';
      if (!same(cur, step.expect) || step.to === null) throw changed(step.path);
      fs.truncateSync(step.path, step.to.size);
      return 'done';
    }
    case 'return': {
      const at = now(step.path);
      const moved = now(step.movedTo);
      if (same(at, step.content) && moved === null) return 'was done';
      if (!same(moved, step.content) || (at !== null && !same(at, step.content))) throw changed(at !== null && !same(at, step.content) ? step.path : step.movedTo);
      fs.mkdirSync(path.dirname(step.path), { recursive: true });
      if (at === null) moveInto(step.movedTo, step.path);
      else fs.rmSync(step.movedTo); // a move across file systems cut short: the copy is already back
      if (step.trashInfo) fs.rmSync(step.trashInfo, { force: true });
      return 'done';
    }
  }
}

function changed(p: string): UnrecoverableError {
  return new UnrecoverableError(`${p} changed while reverting; nothing more was touched. Run the revert again to see what changed.`);
}

function tempBeside(p: string): string {
  return path.join(path.dirname(p), `.dropwork-revert-${randomBytes(6).toString('hex')}`);
}

/** Puts the original back. link + unlink (or a copy across file systems) so nothing at `to` is overwritten. */
function moveInto(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
    fs.rmSync(from);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') throw changed(to);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    const temp = tempBeside(to);
    try {
      fs.copyFileSync(from, temp);
      fs.linkSync(temp, to);
    } finally {
      fs.rmSync(temp, { force: true });
    }
    fs.rmSync(from);
  }
}

/** Steps grouped by job, in the plan's order (newest job first). */
export function stepsByJob(plan: Plan): Map<number, Step[]> {
  const out = new Map<number, Step[]>(plan.jobs.map((j) => [j, []]));
  for (const s of plan.steps) out.get(s.job)?.push(s);
  return out;
}
