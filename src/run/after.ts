import fs from 'node:fs';
import path from 'node:path';
import { nextFreeName } from '../publish/conflict.js';
import { isInside } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';
import { factsOf } from '../publish/content.js';
import type { Journal } from '../undo/journal.js';
import { moveFile, moveToTrash } from './trash.js';

/**
 * What happens to the original once its job succeeded. Only for a file in one of the rule's
 * inboxes (`dropwork run ~/Documents/x.pdf --rule R` must never trash a file the person keeps
 * elsewhere), and only when the file is still the one the job processed: a newer version
 * dropped under the same name is never trashed by an old job.
 */
export function applyAfter(rule: Pick<Rule, 'after' | 'watch'>, file: string, seen: { size: number; mtimeMs: number }, journal?: Journal): string {
  const { after } = rule;
  if (after.kind === 'keep') return 'kept the original';
  if (!rule.watch.some((inbox) => isInside(file, inbox))) {
    return `kept the original: after: ${after.kind === 'trash' ? 'trash' : 'move'} applies only to files in the rule's inboxes, and ${file} is not in one`;
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return 'the original was already gone';
  }
  if (st.size !== seen.size || st.mtimeMs !== seen.mtimeMs) return 'kept the original: it changed while the job ran';
  if (after.kind === 'trash') {
    const where = moveToTrash(file);
    // Finder's trash (macOS) says no path; its own Put Back returns the file instead of revert.
    if (path.isAbsolute(where) && fs.existsSync(where)) journal?.movedOriginal(file, where, factsOf(where), trashInfoOf(where));
    return `moved the original to the trash (${where})`;
  }
  let dest = path.join(after.folder, path.basename(file));
  if (fs.existsSync(dest)) dest = nextFreeName(dest);
  moveFile(file, dest);
  journal?.movedOriginal(file, dest, factsOf(dest));
  return `moved the original to ${dest}`;
}

/** A freedesktop trash keeps files/NAME beside info/NAME.trashinfo; revert removes both. */
function trashInfoOf(dest: string): string | undefined {
  const info = path.join(path.dirname(path.dirname(dest)), 'info', `${path.basename(dest)}.trashinfo`);
  return fs.existsSync(info) ? info : undefined;
}
