import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { errorCode, ToolError, UnrecoverableError } from '../errors.js';
import type { Folder } from '../nofollow.js';
import { hashOpened, openFileInFolder, openParentPath, type OpenedFile } from '../nofollow-files.js';
import type { Blobs } from './blobs.js';
import { same, type FileState, type Plan, type Step } from './plan.js';

/**
 * A journal's path, reached from `/` without following a link of another account at any step
 * (nofollow-files.ts, openFolderPath): a folder along the way that became someone's link is
 * refused, so a revert never writes through it (issue 18: rules/pwn.yaml, authorized_keys).
 */
function parentOf(p: string, create = false): { folder: Folder; name: string } {
  const got = withOpenError(() => openParentPath(p, { links: 'own', create }));
  if (got) return got;
  throw new UnrecoverableError(`the folder of ${p} is gone; nothing more was touched`);
}

/** The state of `name` in a held folder: a regular file's content, or null (nothing, or not a regular file). */
function stateIn(folder: Folder, name: string): FileState {
  let f: OpenedFile | undefined;
  try {
    f = openFileInFolder(folder, name, name);
  } catch {
    return null; // a link, a FIFO, a folder: not a file the jobs left
  }
  if (!f) return null;
  try {
    return hashOpened(f);
  } finally {
    f.close();
  }
}

function withParent<T>(p: string, use: (folder: Folder, name: string) => T, create = false): T {
  const { folder, name } = parentOf(p, create);
  try {
    return use(folder, name);
  } finally {
    folder.close();
  }
}

/**
 * Carries out one step. Each step checks the file first and is done already when it finds the
 * state it leads to, so a revert killed half-way is finished by running it again; it refuses
 * (throws) when the file is in neither state, so nothing a person changed meanwhile is lost.
 * Every write is a whole file renamed into place, or one truncate: never half a file. All of it
 * relative to folders opened without following (parentOf), never by the full name.
 */
export function applyStep(step: Step, blobs: Blobs): 'done' | 'was done' {
  switch (step.do) {
    case 'remove':
      return withParent(step.path, (folder, name) => {
        const cur = stateIn(folder, name);
        if (cur === null) return 'was done';
        if (!same(cur, step.expect)) throw changed(step.path);
        fs.rmSync(folder.at(name));
        return 'done';
      });
    case 'restore':
      return withParent(step.path, (folder, name) => {
        const cur = stateIn(folder, name);
        if (same(cur, step.to)) return 'was done';
        if (!same(cur, step.expect)) throw changed(step.path);
        const temp = tempName();
        try {
          fs.copyFileSync(blobs.pathOf(step.blob), folder.at(temp), fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL);
          if (!same(stateIn(folder, temp), step.to)) throw new UnrecoverableError(`the kept version of ${step.path} is damaged`);
          fs.renameSync(folder.at(temp), folder.at(name));
        } finally {
          fs.rmSync(folder.at(temp), { force: true });
        }
        return 'done';
      });
    case 'truncate':
      return withParent(step.path, (folder, name) => {
        const cur = stateIn(folder, name);
        if (same(cur, step.to)) return 'was done';
        if (!same(cur, step.expect) || step.to === null) throw changed(step.path);
        // Opened for writing without following, and only if it is still the file just checked.
        const fd = fs.openSync(folder.at(name), fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
        try {
          const st = fs.fstatSync(fd);
          if (!st.isFile() || st.size !== cur?.size) throw changed(step.path);
          fs.ftruncateSync(fd, step.to.size);
        } finally {
          fs.closeSync(fd);
        }
        return 'done';
      });
    case 'return': {
      const to = step.content;
      // The place it was moved to may be gone altogether (a trash emptied): then it is not there.
      const movedAt = withOpenError(() => openParentPath(step.movedTo, { links: 'own' }));
      try {
        return withParent(step.path, (folder, name) => {
          const at = stateIn(folder, name);
          const moved = movedAt ? stateIn(movedAt.folder, movedAt.name) : null;
          if (same(at, to) && moved === null) return 'was done';
          if (!movedAt || !same(moved, to) || (at !== null && !same(at, to))) throw changed(at !== null && !same(at, to) ? step.path : step.movedTo);
          if (at === null) moveInto(movedAt.folder, movedAt.name, folder, name, step.path);
          else fs.rmSync(movedAt.folder.at(movedAt.name)); // a move across file systems cut short: the copy is already back
          const info = step.trashInfo ? withOpenError(() => openParentPath(step.trashInfo as string, { links: 'own' })) : undefined;
          if (info) try { fs.rmSync(info.folder.at(info.name), { force: true }); } finally { info.folder.close(); }
          return 'done';
        }, true);
      } finally {
        movedAt?.folder.close();
      }
    }
  }
}

function withOpenError<T>(open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (err instanceof ToolError) throw new UnrecoverableError(`${err.message}; nothing more was touched`);
    throw err;
  }
}

function changed(p: string): UnrecoverableError {
  return new UnrecoverableError(`${p} changed while reverting; nothing more was touched. Run the revert again to see what changed.`);
}

function tempName(): string {
  return `.dropwork-revert-${randomBytes(6).toString('hex')}`;
}

/** Puts the original back. link + unlink (or a copy across file systems) so nothing at `to` is overwritten. */
function moveInto(fromFolder: Folder, fromName: string, toFolder: Folder, toName: string, shown: string): void {
  try {
    fs.linkSync(fromFolder.at(fromName), toFolder.at(toName));
    fs.rmSync(fromFolder.at(fromName));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') throw changed(shown);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    const from = openFileInFolder(fromFolder, fromName, shown);
    if (!from) throw changed(shown);
    const temp = tempName();
    try {
      fs.copyFileSync(from.path, toFolder.at(temp), fs.constants.COPYFILE_EXCL);
      fs.linkSync(toFolder.at(temp), toFolder.at(toName));
    } finally {
      from.close();
      fs.rmSync(toFolder.at(temp), { force: true });
    }
    fs.rmSync(fromFolder.at(fromName));
  }
}

/** Steps grouped by job, in the plan's order (newest job first). */
export function stepsByJob(plan: Plan): Map<number, Step[]> {
  const out = new Map<number, Step[]>(plan.jobs.map((j) => [j, []]));
  for (const s of plan.steps) out.get(s.job)?.push(s);
  return out;
}
