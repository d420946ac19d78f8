import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { openFolder } from '../nofollow.js';

/** File times come from the kernel's coarse clock, up to a tick (1-10 ms) behind Date.now(). */
const COARSE_CLOCK_MS = 20;

/**
 * The folders a reverted job made that its revert left empty (`outputs/night/2026/12` once its
 * one file is removed), removed from the deepest up; what it returns is what was removed.
 *
 * "The job made it" is read from the folder's birth time: at or after the job started. The walk
 * up from a removed file stops at the first folder that was there before the job (the rule's
 * outputs folder, normally) and at a folder that is not empty: nothing a person made or put
 * there is touched. Where the file system keeps no birth time (it reads as 0) nothing is
 * removed. The folder that was there before is the trusted base (it may well be a link to a
 * NAS); below it every step is opened without following links (src/nofollow.ts).
 */
export function removeEmptiedFolders(removedFiles: readonly string[], jobStartedAt: number): string[] {
  const since = jobStartedAt - COARSE_CLOCK_MS;
  const removed: string[] = [];
  const deepestFirst = [...new Set(removedFiles.map((f) => path.dirname(f)))].sort((a, b) => b.length - a.length);
  for (const start of deepestFirst) {
    const made = foldersMadeSince(start, since);
    if (made.length === 0) continue;
    const base = path.dirname(made[made.length - 1] as string);
    for (const dir of made) {
      if (!removeIfEmpty(base, dir)) break;
      removed.push(dir);
    }
  }
  return removed;
}

/**
 * `dir` and its parents, deepest first, while each is a real folder born at or after `since`.
 * A link found on the way that is itself that young stands where the job made a folder (someone
 * swapped it in since): then nothing is removed. An older link is the trusted base.
 */
function foldersMadeSince(dir: string, since: number): string[] {
  const out: string[] = [];
  for (let at = dir; path.dirname(at) !== at; at = path.dirname(at)) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch {
      break; // gone already (another emptied file's walk took it)
    }
    const young = st.birthtimeMs !== 0 && st.birthtimeMs >= since;
    if (st.isSymbolicLink() && young) return [];
    if (!st.isDirectory() || !young) break;
    out.push(at);
  }
  return out;
}

/** rmdir of `dir` under `base`, reached through real folders only; false when it stays. */
function removeIfEmpty(base: string, dir: string): boolean {
  const rel = path.relative(base, dir);
  let parent;
  try {
    parent = openFolder(base, path.dirname(rel));
  } catch {
    return false; // a link on the way: never followed
  }
  if (!parent) return false;
  try {
    fs.rmdirSync(parent.at(path.basename(rel)));
    return true;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return true;
    return false; // not empty (ENOTEMPTY), a file or link in its place (ENOTDIR), not ours to remove
  } finally {
    parent.close();
  }
}
