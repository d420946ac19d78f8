import path from 'node:path';
import { UnrecoverableError } from '../errors.js';
import { render, type ActionStep } from './action.js';

/** `rename: TEMPLATE` — a new name; a file not yet moved lands at the top of the outputs folder. */
export const rename: ActionStep = {
  kind: 'rename',
  apply(current, action, ctx) {
    const name = render(action.target, current, ctx).replace(/[\\/]/g, '_');
    if (name === '' || name === '.') throw new UnrecoverableError(`"${action.target}" rendered "${name}", which is no file name`);
    const folder = current.dest ? path.dirname(current.dest) : ctx.output;
    return { current: { name, dest: path.join(folder, name) } };
  },
  describe: (a) => `rename to ${a.target}`,
};
