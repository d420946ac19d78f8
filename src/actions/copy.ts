import path from 'node:path';
import { folderOf, type ActionStep } from './action.js';

/** `copy: FOLDER` — a copy of the file lands in FOLDER; the steps go on with the file where it was. */
export const copy: ActionStep = {
  kind: 'copy',
  apply(current, action, ctx) {
    const dest = path.join(folderOf(action.target, current, ctx), current.name);
    return { current, extra: { dest, onConflict: action.onConflict } };
  },
  describe: (a) => `copy into ${a.target}`,
};
