import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, ToolError, UnrecoverableError } from '../errors.js';
import { openFolder, type Folder } from '../nofollow.js';
import { entryOf, hashOpened, openFileInFolder, type OpenedFile } from '../nofollow-files.js';
import type { ConflictPolicy } from '../rules/rule.js';
import { walkFolder } from '../watch/scan.js';
import { fitName, numberedName } from './conflict.js';
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
  /**
   * The rule's outputs folder: folders below it are opened without following links, and the
   * files in them are placed and read through those open folders (others may write there).
   */
  outputs?: string;
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
  return withPublishLock(opts.lock, () => publishLocked(outputs, opts));
}

function publishLocked(outputs: StagedOutput[], opts: PublishOptions): PublishResult {
  const { journal } = opts;
  for (const out of outputs) {
    const why = reservedName(out.dest);
    if (why) throw new UnrecoverableError(`cannot publish ${out.dest}: ${why}`);
  }
  const result: PublishResult = { published: [], skipped: [] };
  const onto = outputs.filter((o) => o.base !== undefined);
  if (onto.length > 0) {
    // Checked together, then placed: a conflict on one publishes none of them.
    const plans = onto.map((o) => planOnto(o, opts.outputs));
    for (const plan of plans) {
      const placed = placeOnto(plan, journal, opts.outputs);
      if (placed) result.published.push(placed);
    }
  }
  for (const staged of outputs) {
    if (staged.base !== undefined) continue;
    // A name a template made longer than the file system takes (255 bytes) is shortened, as a
    // numbered one is, rather than failing the job with ENAMETOOLONG.
    const name = fitName(path.basename(staged.dest));
    const out = { ...staged, dest: path.join(path.dirname(staged.dest), name) };
    const folder = destFolder(out.dest, opts.outputs);
    try {
      if (out.onConflict === 'skip' && entryOf(folder, name)) {
        result.skipped.push(out.dest);
        continue;
      }
      // What is placed is known before it leaves the job's folder: nothing is read back by name.
      const facts = out.facts ?? (journal ? factsOf(out.source) : undefined);
      const temp = tempName();
      moveOrCopy(out.source, folder.at(temp));
      try {
        // The version an overwrite replaces is kept first, so the job can be reverted.
        const before = out.onConflict === 'overwrite' ? keepBefore(journal, folder, name, out.dest) : undefined;
        const placed = place(folder, temp, out.dest, out.onConflict);
        if (placed.changed) journal?.wrote(placed.dest, before, facts);
        result.published.push(placed.dest);
      } finally {
        fs.rmSync(folder.at(temp), { force: true });
      }
    } finally {
      folder.close();
    }
  }
  return result;
}

/**
 * The folder an output goes into, held open: below the outputs folder every step is opened
 * without following a link (another account may share it), and the file is then placed,
 * read and replaced relative to that folder, never by its full name. A folder outside the
 * outputs folder is one the rule names itself (a `copy:` target): that one is taken as named.
 */
function destFolder(dest: string, outputs: string | undefined): Folder {
  const dir = path.dirname(dest);
  const rel = outputs ? path.relative(outputs, dir) : '..';
  const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  const folder = inside
    ? openFolder(outputs as string, rel.split(path.sep).join('/'), { create: true, shown: path.relative(outputs as string, dest) })
    : openFolder(dir, '', { create: true, shown: dest });
  if (!folder) throw new UnrecoverableError(`cannot publish ${dest}: its folder cannot be made`);
  return folder;
}

/** The regular file `name` of `folder` as opened without following; a link there is refused. */
function openCurrent(folder: Folder, name: string, dest: string): OpenedFile | undefined {
  try {
    return openFileInFolder(folder, name, dest);
  } catch (err) {
    if (err instanceof ToolError) throw new UnrecoverableError(`cannot publish ${dest}: ${err.message}; nothing is written through it`);
    throw err;
  }
}

/** Before `name` is replaced: its current version kept for undo, read from the file as opened. */
function keepBefore(journal: Journal | undefined, folder: Folder, name: string, dest: string): { sha256: string; size: number } | undefined {
  if (!journal) return undefined;
  let current: OpenedFile | undefined;
  try {
    current = openFileInFolder(folder, name, dest);
  } catch {
    return undefined; // a link or another kind of entry: replaced (never followed), nothing to keep
  }
  if (!current) return undefined;
  try {
    return journal.keepBefore(dest, current.path);
  } finally {
    current.close();
  }
}

interface OntoPlan {
  out: StagedOutput & { base: ContentFacts };
  /** true: the staged bytes past base.size go onto the file as it is; false: it is replaced. */
  append: boolean;
}

function planOnto(out: StagedOutput, outputs: string | undefined): OntoPlan {
  const withBase = out as OntoPlan['out'];
  if (startsWith(out.source, withBase.base)) return { out: withBase, append: true };
  const folder = destFolder(out.dest, outputs);
  try {
    const current = openCurrent(folder, path.basename(out.dest), out.dest);
    const conflict = current !== undefined && !isContent(current.path, withBase.base);
    current?.close();
    if (conflict) {
      throw new UnrecoverableError(`conflict: ${out.dest} was changed by another job after this job read it, and this job rewrote it rather than adding to its end; replacing it would lose the other job's change, so nothing was published. Run the job again to work on the file as it is now.`);
    }
  } finally {
    folder.close();
  }
  return { out: withBase, append: false };
}

/**
 * Appends under the lock onto the file as it is now, or replaces it. An append is made on a
 * copy (a clone where the file system has them) renamed into place, so a reader or a crash never
 * sees half a row; the price is one copy of the ledger per publish. The ledger is opened without
 * following (a ledger swapped for a link to another account's file is refused, never copied).
 */
function placeOnto({ out, append }: OntoPlan, journal: Journal | undefined, outputs: string | undefined): string | undefined {
  const folder = destFolder(out.dest, outputs);
  const name = path.basename(out.dest);
  const temp = tempName();
  try {
    const current = append ? openCurrent(folder, name, out.dest) : undefined;
    if (current) {
      try {
        const added = fs.statSync(out.source).size - out.base.size;
        if (added === 0) return undefined; // nothing added: the file stays as the other jobs left it
        // An append keeps no copy for undo: the earlier file is this one's first bytes.
        const before = journal ? hashOpened(current) : undefined;
        fs.copyFileSync(current.path, folder.at(temp), fs.constants.COPYFILE_FICLONE);
        const now = appendRange(out.source, out.base.size, folder.at(temp));
        fs.renameSync(folder.at(temp), folder.at(name));
        if (before) journal?.appended(out.dest, before, now);
        return out.dest;
      } finally {
        current.close();
      }
    }
    // A replace, or an append onto a file that is not there (any more): the whole staged file.
    const facts = out.facts ?? (journal ? factsOf(out.source) : undefined);
    const before = keepBefore(journal, folder, name, out.dest);
    moveOrCopy(out.source, folder.at(temp));
    fs.renameSync(folder.at(temp), folder.at(name));
    journal?.wrote(out.dest, before, facts);
    return out.dest;
  } finally {
    fs.rmSync(folder.at(temp), { force: true });
    folder.close();
  }
}

/** Appends `source` from `from` onto the temporary copy; returns what the copy then holds. */
function appendRange(source: string, from: number, dest: string): ContentFacts {
  const src = fs.openSync(source, 'r');
  const dst = fs.openSync(dest, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let at = from; ; ) {
      const n = fs.readSync(src, buf, 0, buf.length, at);
      if (n === 0) break;
      fs.writeSync(dst, buf, 0, n);
      at += n;
    }
    return hashOpened({ fd: dst });
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
}

function tempName(): string {
  return `${TEMP_PREFIX}${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Where the file went, and whether that changed anything (identical content already there did
 * not). Everything happens in the held folder: link() and rename() never follow the new name.
 */
function place(folder: Folder, temp: string, dest: string, policy: ConflictPolicy): { dest: string; changed: boolean } {
  const dir = path.dirname(dest);
  if (policy === 'overwrite') {
    fs.renameSync(folder.at(temp), folder.at(path.basename(dest)));
    return { dest, changed: true };
  }
  // link() fails with EEXIST instead of replacing, so two jobs can never clobber one name.
  let target = dest;
  for (let n = 1; ; n++) {
    try {
      fs.linkSync(folder.at(temp), folder.at(path.basename(target)));
      return { dest: target, changed: true };
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EEXIST') {
        // The very same content already there: an attempt cut short by a crash after it
        // published; a second copy under "name (1)" would be a duplicate, not an output.
        // Compared byte for byte whatever the size: exactly-once has no size limit.
        if (policy === 'skip' || sameAsPlaced(folder, temp, path.basename(target))) return { dest: target, changed: false };
        target = numberedName(dest, n);
        continue;
      }
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        // File systems without hard links (FAT, some shares): check, then rename.
        for (let m = n; entryOf(folder, path.basename(target)); m++) target = path.join(dir, path.basename(numberedName(dest, m)));
        fs.renameSync(folder.at(temp), folder.at(path.basename(target)));
        return { dest: target, changed: true };
      }
      throw err;
    }
  }
}

/** Whether the file `name` (opened without following) holds exactly what the temporary file does. */
function sameAsPlaced(folder: Folder, temp: string, name: string): boolean {
  let there: OpenedFile | undefined;
  try {
    there = openFileInFolder(folder, name, name);
  } catch {
    return false;
  }
  if (!there) return false;
  try {
    return sameContent(folder.at(temp), there.path);
  } finally {
    there.close();
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
