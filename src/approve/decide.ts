import fs from 'node:fs';
import { errorMessage, UnrecoverableError } from '../errors.js';
import type { Events } from '../events.js';
import type { Paths } from '../paths.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import { redact } from '../redact.js';
import type { Rule } from '../rules/rule.js';
import { actorData, type Actor } from '../users/actor.js';
import { AWAITING_APPROVAL, awaitsToolApproval, checkStaged, heldPayload, outsideChanges, rememberApproval, rememberToolApproval, type HeldPayload } from '../run/approval.js';
import { finishPublishing, jobDir } from '../run/execute.js';
import { saveJournal } from '../undo/journal.js';
import { blobsFor } from '../undo/revert.js';

/** A decision that cannot be made: the message says why, in the person's words. */
export class DecisionError extends Error {}

/** What a decision needs, and who made it (`by` for the step log, `who` in its data). */
export interface DecisionDeps extends Actor {
  store: Store;
  paths: Paths;
  /** The daemon's events when the decision is made inside it (the dashboard), for live pages. */
  events?: Events | undefined;
}

export interface Approved {
  job: JobRow;
  /** What happened, one line each: files published, files left as they were, the original. */
  done: string[];
}

/** Reason held while an approval publishes, so a second approve or a deny cannot start. */
const DECIDING = 'deciding: publishing the approved outputs';

/**
 * Takes a held job for one decision. One guarded UPDATE: two people (or the CLI and the
 * dashboard) approving at once cannot both publish.
 */
function takeHeld(store: Store, id: number, reason: string): { row: JobRow; held: HeldPayload } {
  const row = store.get(id);
  if (!row) throw new DecisionError(`no job ${id}`);
  const held = heldPayload(row);
  if (!held) throw new DecisionError(notHeld(row));
  const taken = store.db.prepare('UPDATE jobs SET reason = ?, updated_at = ? WHERE id = ? AND status = ? AND reason = ? RETURNING *')
    .get(reason, Date.now(), id, 'waiting', AWAITING_APPROVAL) as JobRow | undefined;
  if (!taken) throw new DecisionError(`job ${id} was decided by someone else just now`);
  return { row: taken, held };
}

function notHeld(row: JobRow): string {
  const state = row.status === 'waiting' ? `waiting (${row.reason ?? 'no reason'})` : row.status;
  return `job ${row.id} is not awaiting approval; it is ${state}`;
}

/** The changes approving job `row` would make now (files may have appeared since it was held). */
export function pendingChanges(row: JobRow, rule: Rule | undefined): string[] {
  const held = heldPayload(row);
  return held ? outsideChanges(row, held.after, held.staged, rule?.output) : [];
}

/**
 * `approve: tools`: the job stopped before a connector call that changes things. Approving lets
 * its calls through and runs it again (from its first turn, as any next attempt); the model
 * may then make the call again.
 */
function approveToolCalls(deps: DecisionDeps, row: JobRow): Approved {
  rememberToolApproval(deps.store, row.id);
  const moved = deps.store.move(row.id, 'queued', { reason: null, run_at: Date.now() }, { from: ['waiting'] });
  if (!moved) throw new DecisionError(`job ${row.id} was decided by someone else just now`);
  deps.store.log(row.id, 'approved', `approved ${deps.by}: its connector calls may run; the job runs again`, actorData(deps));
  deps.events?.emit('job:step', row.id, 'approved', 'connector calls approved');
  return { job: moved, done: ['its connector calls may run: the job runs again'] };
}

/**
 * Publishes a held job's staged outputs and applies the `after:` it was held with, then lets
 * `approve: first` stop holding that rule's text. Works with or without the daemon running.
 */
export function approveJob(deps: DecisionDeps, id: number, rules: Map<string, Rule>): Approved {
  const current = deps.store.get(id);
  if (!current) throw new DecisionError(`no job ${id}`);
  if (awaitsToolApproval(current)) return approveToolCalls(deps, current);
  const rule = rules.get(current.rule);
  if (!rule) {
    if (!heldPayload(current)) throw new DecisionError(notHeld(current));
    throw new DecisionError(`the rule "${current.rule}" no longer exists, so job ${id} cannot be published; deny it, or restore the rule`);
  }
  const { row, held } = takeHeld(deps.store, id, DECIDING);
  const done: string[] = [];
  const step = (kind: string, message: string, data?: unknown): void => {
    const clean = redact(message);
    deps.store.log(id, kind, clean, data);
    deps.events?.emit('job:step', id, kind, clean);
    if (kind === 'published' || kind === 'after') done.push(clean);
  };
  step('approved', `approved ${deps.by}`, actorData(deps));
  try {
    // The rule as shown when the job was held: approving does what the person saw.
    const heldRule: Rule = { ...rule, after: held.after };
    checkStaged(held.staged, jobDir(deps.paths.jobsDir, id), rule);
    if (held.after.kind === 'move' && (rule.after.kind !== 'move' || rule.after.folder !== held.after.folder)) {
      throw new UnrecoverableError(`refused: the job was held to move its original to ${String(held.after.folder)}, which is not the rule's after: now; deny it and run the file again`);
    }
    // A job queued on another host of a team: its original is there, and so is its after:.
    const elsewhere = row.collected_by && deps.store.hostName && row.collected_by !== deps.store.hostName ? { originalOn: row.collected_by } : {};
    const outcome = finishPublishing({ job: row, rule: heldRule, workdir: jobDir(deps.paths.jobsDir, id), step, store: deps.store, paths: deps.paths, ...elsewhere }, held.staged);
    fs.rmSync(jobDir(deps.paths.jobsDir, id), { recursive: true, force: true });
    // Done and revertable together: the undo journal is saved in the same transaction.
    const moved = deps.store.db.transaction(() => {
      const r = deps.store.move(id, 'succeeded', { reason: outcome.reason ?? null, outputs: JSON.stringify(outcome.outputs) }, { from: ['waiting'] });
      if (r) saveJournal(deps.store.db, id, outcome.changes, blobsFor(deps.paths).seal);
      return r;
    })();
    if (!moved) throw new DecisionError(`job ${id} changed while it was being published`);
    rememberApproval({ name: row.rule, hash: held.rule_hash || rule.hash }, deps.store);
    deps.events?.emit('job:succeeded', moved);
    return { job: moved, done };
  } catch (err) {
    if (err instanceof DecisionError) throw err;
    const reason = `approved, but publishing failed: ${redact(errorMessage(err))}`;
    step('failed', reason);
    const failed = deps.store.move(id, 'failed', { reason, last_error: reason }, { from: ['waiting'] });
    if (failed) deps.events?.emit('job:failed', failed);
    throw new DecisionError(reason);
  }
}

/** Discards a held job's staged outputs and records why; nothing outside the job is touched. */
export function denyJob(deps: DecisionDeps, id: number, why?: string): JobRow {
  const reason = why?.trim() ? `denied: ${redact(why.trim())}` : 'denied';
  const current = deps.store.get(id);
  if (current && awaitsToolApproval(current)) {
    const moved = deps.store.move(id, 'cancelled', { reason }, { from: ['waiting'] });
    if (!moved) throw new DecisionError(`job ${id} changed while it was being denied`);
    deps.store.log(id, 'denied', `${reason} (${deps.by}): the connector call was not made`, actorData(deps));
    deps.events?.emit('job:cancelled', moved);
    return moved;
  }
  takeHeld(deps.store, id, reason);
  fs.rmSync(jobDir(deps.paths.jobsDir, id), { recursive: true, force: true });
  deps.store.log(id, 'denied', `${reason} (${deps.by}); its staged outputs were discarded`, actorData(deps));
  deps.events?.emit('job:step', id, 'denied', reason);
  const moved = deps.store.move(id, 'cancelled', { reason }, { from: ['waiting'] });
  if (!moved) throw new DecisionError(`job ${id} changed while it was being denied`);
  deps.events?.emit('job:cancelled', moved);
  return moved;
}
