import path from 'node:path';
import { folderOf, type ActionStep } from './action.js';

/**
 * `move: FOLDER` — the file's result lands in FOLDER. The original in the inbox stays untouched;
 * what happens to it is the rule's `after:` (keep, move or trash), once the job succeeded.
 */
export const move: ActionStep = {
  kind: 'move',
  apply(current, action, ctx) {
    return { current: { ...current, dest: path.join(folderOf(action.target, current, ctx), current.name) } };
  },
  describe: (a) => `move into ${a.target}`,
};
