import type { Action } from '../rules/rule.js';
import type { ActionStep, CurrentFile, PlannedOutput, StepContext } from './action.js';
import { copy } from './copy.js';
import { move } from './move.js';
import { rename } from './rename.js';

/** Every deterministic step, by the key that names it in a rule. */
export const ACTIONS: Record<Action['kind'], ActionStep> = { copy, move, rename };

/** The outputs a rule's steps make of one file, in order, touching nothing. */
export function planActions(actions: Action[], fileName: string, ctx: StepContext): PlannedOutput[] {
  let current: CurrentFile = { name: fileName };
  const planned: PlannedOutput[] = [];
  let last: Action | undefined;
  for (const action of actions) {
    const { current: next, extra } = ACTIONS[action.kind].apply(current, action, ctx);
    if (extra) planned.push(extra);
    current = next;
    if (action.kind !== 'copy') last = action;
  }
  if (current.dest && last) planned.push({ dest: current.dest, onConflict: last.onConflict });
  return planned;
}

export function describeAction(action: Action): string {
  return ACTIONS[action.kind].describe(action);
}
