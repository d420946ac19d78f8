import fs from 'node:fs';
import path from 'node:path';
import { nextFreeName } from '../publish/conflict.js';
import type { After } from '../rules/rule.js';
import { hashFile } from '../undo/blobs.js';
import type { Journal } from '../undo/journal.js';
import { moveFile, moveToTrash } from './trash.js';

/**
 * What happens to the original once its job succeeded. Only when the file is still the one the
 * job processed: a newer version dropped under the same name is never trashed by an old job.
 */
export function applyAfter(after: After, file: string, seen: { size: number; mtimeMs: number }, journal?: Journal): string {
  if (after.kind === 'keep') return 'kept the original';
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return 'the original was already gone';
  }
  if (st.size !== seen.size || st.mtimeMs !== seen.mtimeMs) return 'kept the original: it changed while the job ran';
  if (after.kind === 'trash') {
    const dest = moveToTrash(file);
    journal?.movedOriginal(file, dest, hashFile(dest), trashInfoOf(dest));
    return `moved the original to the trash (${dest})`;
  }
  let dest = path.join(after.folder, path.basename(file));
  if (fs.existsSync(dest)) dest = nextFreeName(dest);
  moveFile(file, dest);
  journal?.movedOriginal(file, dest, hashFile(dest));
  return `moved the original to ${dest}`;
}

/** A freedesktop trash keeps files/NAME beside info/NAME.trashinfo; revert removes both. */
function trashInfoOf(dest: string): string | undefined {
  const info = path.join(path.dirname(path.dirname(dest)), 'info', `${path.basename(dest)}.trashinfo`);
  return fs.existsSync(info) ? info : undefined;
}
