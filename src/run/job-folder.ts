/**
 * A job's own folder (jobs/<id>): made empty before each attempt, removed after it. Both happen
 * off the main thread: on a loaded disk a mkdir or an rmdir waits 0.5-2 ms for the file system's
 * journal, and the main thread is what the intake and the other jobs share (a 4,000-file burst
 * spent 7.7 s of it removing job folders: `npm run bench -- pipeline` with --cpu-prof).
 * Publishing stays one synchronous stretch (publish.ts); only this housekeeping moved.
 */
import fs from 'node:fs';
import { errorCode } from '../errors.js';

/** Removals under way, by folder: a new attempt at the same job waits for its folder's. */
const removing = new Map<string, Promise<void>>();

/** Removes a job's folder in the background (errors ignored: a leftover is removed by the next attempt). */
export function discardJobFolder(dir: string): void {
  // Most no-op and failed-early jobs never made one: a stat is cheaper than rm's walk.
  if (!removing.has(dir) && !fs.existsSync(dir)) return;
  const before = removing.get(dir) ?? Promise.resolve();
  const done: Promise<void> = before
    // Usually empty by now (publishing moved the staged files out): one rmdir, not rm's walk
    // of lstat, readdir and rmdir, each a trip through libuv's 4 threads that chokidar's lstats
    // and the copies wait behind.
    .then(() => fs.promises.rmdir(dir))
    .catch(() => fs.promises.rm(dir, { recursive: true, force: true }))
    .catch(() => undefined)
    .finally(() => {
      if (removing.get(dir) === done) removing.delete(dir);
    });
  removing.set(dir, done);
}

/** An empty folder for an attempt: whatever an interrupted attempt left is discarded. */
export async function freshJobFolder(dir: string): Promise<void> {
  await removing.get(dir);
  try {
    await fs.promises.mkdir(dir); // the first attempt: nothing there, one call
    return;
  } catch (err) {
    if (errorCode(err) !== 'EEXIST' && errorCode(err) !== 'ENOENT') throw err;
  }
  await fs.promises.rm(dir, { recursive: true, force: true });
  await fs.promises.mkdir(dir, { recursive: true });
}

/** Resolves once every removal started so far is done (a stopping worker waits for them). */
export async function jobFoldersDiscarded(): Promise<void> {
  await Promise.all([...removing.values()]);
}
