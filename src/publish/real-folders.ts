/**
 * Publishing writes only into real folders under a rule's outputs folder. A folder there that
 * is a link (placed by the person, or by an earlier job) would carry an output anywhere on
 * the host; such an output is refused, with the reason for the job's history. The outputs
 * folder itself may be a link the person made (to a NAS, say): that is where they chose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { openFolder } from '../nofollow.js';
import { isInside } from '../rules/match.js';
import type { StagedOutput } from './publish.js';

export interface Checked {
  ok: StagedOutput[];
  refused: { dest: string; reason: string }[];
}

/** Makes each output's folder (never through a link) and keeps the outputs whose folder is real. */
export function refuseLinkedFolders(staged: StagedOutput[], outputsFolder: string): Checked {
  const checked: Checked = { ok: [], refused: [] };
  for (const s of staged) {
    // Steps may copy elsewhere by the rule's own say (a `copy:` folder); only the outputs folder is checked here.
    if (!isInside(s.dest, outputsFolder) || s.dest === outputsFolder) {
      checked.ok.push(s);
      continue;
    }
    const rel = path.relative(outputsFolder, path.dirname(s.dest)).split(path.sep).join('/');
    try {
      openFolder(outputsFolder, rel, { create: true, shown: path.relative(outputsFolder, s.dest) })?.close();
      checked.ok.push(s);
    } catch (err) {
      // A link on the way is refused for this output alone; anything else (a file where the
      // folder should be, no permission) is a failure of the job, as it was before the check.
      if (!linkOnTheWay(outputsFolder, rel)) throw err;
      checked.refused.push({ dest: s.dest, reason: errorMessage(err) });
    }
  }
  return checked;
}

/** Whether a folder of `rel` under `base` is a symbolic link (looked at, never followed). */
function linkOnTheWay(base: string, rel: string): boolean {
  let at = base;
  for (const part of rel.split('/').filter(Boolean)) {
    at = path.join(at, part);
    try {
      if (fs.lstatSync(at).isSymbolicLink()) return true;
    } catch {
      return false;
    }
  }
  return false;
}
