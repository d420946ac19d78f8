import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import type { ConflictPolicy } from '../rules/rule.js';
import type { Journal } from '../undo/journal.js';
import { walkFolder } from '../watch/scan.js';
import { nextFreeName, numberedName } from './conflict.js';

export interface StagedOutput {
  /** The finished file in the job's staging folder. */
  source: string;
  /** Where it goes, absolute, inside an outputs folder. */
  dest: string;
  onConflict: ConflictPolicy;
}

export interface PublishResult {
  published: string[];
  /** Outputs left out because a file of that name was there and the policy said skip. */
  skipped: string[];
}

/** Temporary names start with a dot, so the watcher and people's file browsers ignore them. */
export const TEMP_PREFIX = '.dropwork-';

/**
 * Moves staged files into place. Each file appears whole or not at all: it is first written
 * under a hidden temporary name in the destination folder, then linked or renamed into its
 * final name, which the OS does atomically.
 */
export function publish(outputs: StagedOutput[], journal?: Journal): PublishResult {
  const result: PublishResult = { published: [], skipped: [] };
  for (const out of outputs) {
    fs.mkdirSync(path.dirname(out.dest), { recursive: true });
    if (out.onConflict === 'skip' && fs.existsSync(out.dest)) {
      result.skipped.push(out.dest);
      continue;
    }
    const temp = path.join(path.dirname(out.dest), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}.tmp`);
    moveOrCopy(out.source, temp);
    try {
      // The version an overwrite replaces is kept first, so the job can be reverted (src/undo).
      const before = out.onConflict === 'overwrite' ? journal?.keepBefore(out.dest) : undefined;
      const placed = place(temp, out.dest, out.onConflict);
      if (placed.changed) journal?.wrote(placed.dest, before);
      result.published.push(placed.dest);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  return result;
}

/** Where the file went, and whether that changed anything (identical content already there did not). */
function place(temp: string, dest: string, policy: ConflictPolicy): { dest: string; changed: boolean } {
  if (policy === 'overwrite') {
    fs.renameSync(temp, dest);
    return { dest, changed: true };
  }
  // link() fails with EEXIST instead of replacing, so two jobs can never clobber one name.
  let target = dest;
  for (let n = 1; ; n++) {
    try {
      fs.linkSync(temp, target);
      return { dest: target, changed: true };
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EEXIST') {
        // The very same content already there: an attempt cut short by a crash after it
        // published; a second copy under "name (1)" would be a duplicate, not an output.
        if (policy === 'skip' || sameContent(temp, target)) return { dest: target, changed: false };
        target = numberedName(dest, n);
        continue;
      }
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        // File systems without hard links (FAT, some shares): check, then rename.
        if (fs.existsSync(target)) { target = nextFreeName(dest); }
        fs.renameSync(temp, target);
        return { dest: target, changed: true };
      }
      throw err;
    }
  }
}

function sameContent(a: string, b: string): boolean {
  try {
    const [sa, sb] = [fs.statSync(a), fs.statSync(b)];
    if (sa.size !== sb.size) return false;
    if (sa.ino === sb.ino && sa.dev === sb.dev) return true;
    const hash = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    // Large files are compared by size only up to here; reading gigabytes to dedupe is not worth it.
    return sa.size <= 64 * 1024 * 1024 && hash(a) === hash(b);
  } catch {
    return false;
  }
}

function moveOrCopy(source: string, dest: string): void {
  try {
    fs.renameSync(source, dest);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw err;
    fs.copyFileSync(source, dest);
    fs.rmSync(source, { force: true });
  }
}

/** Temporary files a crash left in outputs folders; removed at start. */
export function removeLeftoverTemps(folder: string): number {
  let removed = 0;
  walkFolder(folder, { recursive: true }, (full, e) => {
    if (e.isFile() && e.name.startsWith(TEMP_PREFIX) && e.name.endsWith('.tmp')) {
      fs.rmSync(full, { force: true });
      removed++;
    }
  });
  return removed;
}
