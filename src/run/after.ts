import fs from 'node:fs';
import path from 'node:path';
import { nextFreeName } from '../publish/conflict.js';
import { isInside } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';
import { moveFile, moveToTrash } from './trash.js';

/**
 * What happens to the original once its job succeeded. Only for a file in one of the rule's
 * inboxes (`dropwork run ~/Documents/x.pdf --rule R` must never trash a file the person keeps
 * elsewhere), and only when the file is still the one the job processed: a newer version
 * dropped under the same name is never trashed by an old job.
 */
export function applyAfter(rule: Pick<Rule, 'after' | 'watch'>, file: string, seen: { size: number; mtimeMs: number }): string {
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
  if (after.kind === 'trash') return `moved the original to the trash (${moveToTrash(file)})`;
  let dest = path.join(after.folder, path.basename(file));
  if (fs.existsSync(dest)) dest = nextFreeName(dest);
  moveFile(file, dest);
  return `moved the original to ${dest}`;
}
