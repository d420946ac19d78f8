import type { Logger } from '../log.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import { isInside } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';
import { applyAfter } from '../run/after.js';
import { payloadOf } from '../run/context.js';

/**
 * A duplicate of a job that succeeded gets the job's `after:` too: with `after: trash`, a
 * second copy of a receipt must not sit in the inbox forever. Never when the job did not
 * succeed (its original stays, so this one does too), and never a move into a folder a rule
 * watches, which would be a new drop of the same content, and again, forever.
 */
export function tidyDuplicate(store: Store, rules: Rule[], dup: JobRow, log: Logger): void {
  const rule = rules.find((r) => r.name === dup.rule);
  const facts = payloadOf(dup) as { size?: number; mtimeMs?: number; duplicate_of?: number };
  if (!rule || !dup.file || rule.after.kind === 'keep' || facts.size === undefined || facts.mtimeMs === undefined) return;
  if (!rule.watch.some((w) => isInside(dup.file as string, w))) return;
  const after = rule.after;
  if (after.kind === 'move' && rules.some((r) => r.watch.some((w) => w === after.folder || isInside(after.folder, w)))) {
    store.appendReason(dup.id, `left where it is: after: would move it into ${after.folder}, which a rule watches`);
    return;
  }
  let outcome: string;
  try {
    outcome = applyAfter(rule, dup.file, { size: facts.size, mtimeMs: facts.mtimeMs });
  } catch (err) {
    outcome = `could not apply after: to it (${String(err)})`;
    log.warn('could not tidy a duplicate', { job: dup.id, file: dup.file, error: String(err) });
  }
  store.appendReason(dup.id, `${outcome}, as job ${facts.duplicate_of ?? '?'} did`);
  store.log(dup.id, 'after', outcome);
}
