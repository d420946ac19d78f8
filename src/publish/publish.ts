import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, UnrecoverableError } from '../errors.js';
import type { ConflictPolicy } from '../rules/rule.js';
import { walkFolder } from '../watch/scan.js';
import { fitName, nextFreeName, numberedName } from './conflict.js';
import { factsOf, isContent, sameContent, startsWith, type ContentFacts } from './content.js';
import { withPublishLock } from './lock.js';
import type { Journal } from '../undo/journal.js';
import { copyKeepingHolesSync } from './sparse.js';

export interface StagedOutput {
  /** The finished file in the job's staging folder. */
  source: string;
  /** Where it goes, absolute, inside an outputs folder. */
  dest: string;
  onConflict: ConflictPolicy;
  /**
   * The outputs folder's file as this job started from it (a ledger it appends to): empty when
   * the job appended to a file that was not there yet. A staged file that starts with exactly
   * these bytes is published as an append of the rest onto the file as it is then; any other
   * content replaces it, which is refused when another job changed it meanwhile.
   */
  base?: ContentFacts;
  /**
   * What the staged file holds, when known already (the steps runner knows the queued content's
   * hash; recordProduced hashes an agent's outputs): the undo journal then records it as what
   * was published instead of reading and hashing the published file again.
   */
  facts?: ContentFacts;
}

export interface PublishResult {
  published: string[];
  /** Outputs left out because a file of that name was there and the policy said skip. */
  skipped: string[];
}

export interface PublishOptions {
  /** The lock file that keeps other processes' publishing off the same files (lock.ts). */
  lock?: string;
  /** Records what publishing changed, for undo (src/undo): the earlier version of a replaced file is kept first. */
  journal?: Journal;
}

/**
 * Temporary names start with a dot, so the watcher and people's file browsers ignore them.
 * The prefix is reserved: an output named so is refused (see refuseReserved), so the clean-up
 * at start can never delete something a job published.
 */
export const TEMP_PREFIX = '.dropwork-';
const TEMP_NAME = /^\.dropwork-[0-9a-f]{12}\.tmp$/;

/** Why an output name cannot be published, or undefined when it can. */
export function reservedName(dest: string): string | undefined {
  const name = path.basename(dest);
  return name.startsWith(TEMP_PREFIX) ? `names starting with "${TEMP_PREFIX}" are reserved for dropwork's temporary files; name it otherwise` : undefined;
}

/**
 * Moves staged files into place. Each file appears whole or not at all: it is first written
 * under a hidden temporary name in the destination folder, then linked or renamed into its
 * final name, which the OS does atomically.
 */
export function publish(outputs: StagedOutput[], opts: PublishOptions = {}): PublishResult {
  // All of it under the lock: what undo records as a file's earlier version must be what was
  // really replaced, even with a `dropwork run` publishing beside the daemon.
  return withPublishLock(opts.lock, () => publishLocked(outputs, opts.journal));
}

function publishLocked(outputs: StagedOutput[], journal: Journal | undefined): PublishResult {
  for (const out of outputs) {
    const why = reservedName(out.dest);
    if (why) throw new UnrecoverableError(`cannot publish ${out.dest}: ${why}`);
  }
  const result: PublishResult = { published: [], skipped: [] };
  const onto = outputs.filter((o) => o.base !== undefined);
  if (onto.length > 0) {
    // Checked together, then placed: a conflict on one publishes none of them.
    const plans = onto.map(planOnto);
    for (const plan of plans) {
      const placed = placeOnto(plan, journal);
      if (placed) result.published.push(placed);
    }
  }
  for (const staged of outputs) {
    if (staged.base !== undefined) continue;
    // A name a template made longer than the file system takes (255 bytes) is shortened, as a
    // numbered one is, rather than failing the job with ENAMETOOLONG.
    const out = { ...staged, dest: path.join(path.dirname(staged.dest), fitName(path.basename(staged.dest))) };
    fs.mkdirSync(path.dirname(out.dest), { recursive: true });
    if (out.onConflict === 'skip' && fs.existsSync(out.dest)) {
      result.skipped.push(out.dest);
      continue;
    }
    const temp = tempFor(out.dest);
    moveOrCopy(out.source, temp);
    try {
      // The version an overwrite replaces is kept first, so the job can be reverted.
      const before = out.onConflict === 'overwrite' ? journal?.keepBefore(out.dest) : undefined;
      const placed = place(temp, out.dest, out.onConflict);
      if (placed.changed) journal?.wrote(placed.dest, before, out.facts);
      result.published.push(placed.dest);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  return result;
}

interface OntoPlan {
  out: StagedOutput & { base: ContentFacts };
  /** true: the staged bytes past base.size go onto the file as it is; false: it is replaced. */
  append: boolean;
}

function planOnto(out: StagedOutput): OntoPlan {
  const withBase = out as OntoPlan['out'];
  if (startsWith(out.source, withBase.base)) return { out: withBase, append: true };
  if (fs.existsSync(out.dest) && !isContent(out.dest, withBase.base)) {
    throw new UnrecoverableError(`conflict: ${out.dest} was changed by another job after this job read it, and this job rewrote it rather than adding to its end; replacing it would lose the other job's change, so nothing was published. Run the job again to work on the file as it is now.`);
  }
  return { out: withBase, append: false };
}

/**
 * Appends under the lock onto the file as it is now, or replaces it. An append is made on a
 * copy (a clone where the file system has them) renamed into place, so a reader or a crash never
 * sees half a row; the price is one copy of the ledger per publish.
 */
function placeOnto({ out, append }: OntoPlan, journal: Journal | undefined): string | undefined {
  fs.mkdirSync(path.dirname(out.dest), { recursive: true });
  const temp = tempFor(out.dest);
  try {
    if (append && fs.existsSync(out.dest)) {
      const added = fs.statSync(out.source).size - out.base.size;
      if (added === 0) return undefined; // nothing added: the file stays as the other jobs left it
      // An append keeps no copy for undo: the earlier file is this one's first bytes.
      const before = journal ? factsOf(out.dest) : undefined;
      fs.copyFileSync(out.dest, temp, fs.constants.COPYFILE_FICLONE);
      appendRange(out.source, out.base.size, temp);
      fs.renameSync(temp, out.dest);
      if (before) journal?.appended(out.dest, before);
      return out.dest;
    }
    // A replace, or an append onto a file that is not there (any more): the whole staged file.
    const before = journal?.keepBefore(out.dest);
    moveOrCopy(out.source, temp);
    fs.renameSync(temp, out.dest);
    journal?.wrote(out.dest, before, out.facts);
    return out.dest;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function appendRange(source: string, from: number, dest: string): void {
  const src = fs.openSync(source, 'r');
  const dst = fs.openSync(dest, 'a');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let at = from; ; ) {
      const n = fs.readSync(src, buf, 0, buf.length, at);
      if (n === 0) break;
      fs.writeSync(dst, buf, 0, n);
      at += n;
    }
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
}

function tempFor(dest: string): string {
  return path.join(path.dirname(dest), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}.tmp`);
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
        // Compared byte for byte whatever the size: exactly-once has no size limit.
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

function moveOrCopy(source: string, dest: string): void {
  try {
    fs.renameSync(source, dest);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw err;
    copyKeepingHolesSync(source, dest);
    fs.rmSync(source, { force: true });
  }
}

/**
 * Temporary files a crash left in outputs folders; removed at start. Only dropwork's exact
 * temporary names: no output can have one (publish refuses the prefix).
 */
export function removeLeftoverTemps(folder: string): number {
  let removed = 0;
  walkFolder(folder, { recursive: true }, (full, e) => {
    if (e.isFile() && TEMP_NAME.test(e.name)) {
      fs.rmSync(full, { force: true });
      removed++;
    }
  });
  return removed;
}
