import fs from 'node:fs';
import path from 'node:path';
import { ToolError } from '../errors.js';
import { openFolder, type Folder } from '../nofollow.js';
import { baseOf, entryOf, hashOpened, openFileUnder, stillThere, type OpenedFile } from '../nofollow-files.js';
import { numberedName } from '../publish/conflict.js';
import { isInside } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';
import type { Journal } from '../undo/journal.js';
import { moveToTrash } from './trash.js';

/**
 * What happens to the original once its job succeeded. Only for a file in one of the rule's
 * inboxes (`dropwork run ~/Documents/x.pdf --rule R` must never trash a file the person keeps
 * elsewhere), and only when the file is still the one the job processed: a newer version
 * dropped under the same name is never trashed by an old job.
 *
 * Inboxes may be shared with other accounts: the original is opened without following a link
 * at any step below its inbox, and moved as that entry of its held folder (checked to be the
 * very file opened), into an `after: move` folder opened the same way; never by name.
 */
export function applyAfter(rule: Pick<Rule, 'after' | 'watch'>, file: string, seen: { size: number; mtimeMs: number }, journal?: Journal): string {
  const { after } = rule;
  if (after.kind === 'keep') return 'kept the original';
  if (!rule.watch.some((inbox) => isInside(file, inbox))) {
    return `kept the original: after: ${after.kind === 'trash' ? 'trash' : 'move'} applies only to files in the rule's inboxes, and ${file} is not in one`;
  }
  let opened: OpenedFile | undefined;
  try {
    opened = openFileUnder(file, rule.watch);
  } catch (err) {
    if (err instanceof ToolError) return `kept the original: ${err.message}`;
    throw err;
  }
  if (!opened) return 'the original was already gone';
  try {
    const { st } = opened;
    if (st.size !== seen.size || st.mtimeMs !== seen.mtimeMs) return 'kept the original: it changed while the job ran';
    const content = journal ? hashOpened(opened) : undefined;
    if (!stillThere(opened)) return 'kept the original: it was replaced while it was moved';
    const from = opened.folder.at(opened.name);
    if (after.kind === 'trash') {
      const where = moveToTrash(file, { opened: { from, read: opened.path } });
      // Finder's trash (macOS) says no path; its own Put Back returns the file instead of revert.
      if (path.isAbsolute(where) && content && fs.existsSync(where)) journal?.movedOriginal(file, where, content, trashInfoOf(where));
      return `moved the original to the trash (${where})`;
    }
    const dest = moveInto(opened, from, after.folder, rule.watch);
    if (content) journal?.movedOriginal(file, dest, content);
    return `moved the original to ${dest}`;
  } finally {
    opened.close();
  }
}

/** Moves the opened original into `folder` (opened without following below an inbox that holds it) under a free name. */
function moveInto(opened: OpenedFile, from: string, folder: string, inboxes: readonly string[]): string {
  const { base, rel } = baseOf(path.join(folder, '.'), inboxes.filter((i) => isInside(folder, i)));
  const inside = inboxes.some((i) => isInside(folder, i));
  const held: Folder | undefined = inside ? openFolder(base, rel, { create: true, shown: folder }) : openFolder(folder, '', { create: true });
  if (!held) throw new Error(`${folder} cannot be made`);
  try {
    let dest = path.join(folder, path.basename(opened.name));
    for (let n = 1; entryOf(held, path.basename(dest)); n++) dest = numberedName(path.join(folder, opened.name), n);
    const to = held.at(path.basename(dest));
    try {
      fs.renameSync(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Another file system: a copy of the file as opened (never onto an existing name), then the original's entry goes.
      fs.copyFileSync(opened.path, to, fs.constants.COPYFILE_EXCL);
      if (stillThere(opened)) fs.rmSync(from);
    }
    return dest;
  } finally {
    held.close();
  }
}

/** A freedesktop trash keeps files/NAME beside info/NAME.trashinfo; revert removes both. */
function trashInfoOf(dest: string): string | undefined {
  const info = path.join(path.dirname(path.dirname(dest)), 'info', `${path.basename(dest)}.trashinfo`);
  return fs.existsSync(info) ? info : undefined;
}
