import fs from 'node:fs';
import path from 'node:path';
import { UnrecoverableError } from '../errors.js';
import { entryStat } from '../nofollow.js';
import type { StagedOutput } from '../publish/publish.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import { isInside } from '../rules/match.js';
import type { After, Rule } from '../rules/rule.js';
import { payloadOf, type FilePayload, type JobContext } from './context.js';
import type { Outcome } from './execute.js';

/** The reason a held job waits with; approve and deny act only on jobs waiting for it. */
export const AWAITING_APPROVAL = 'awaiting approval';

/** What a held job keeps in its payload: what it will do when approved, as shown to the person. */
export interface HeldPayload extends FilePayload {
  staged: StagedOutput[];
  /** Changes to files that are not the job's new outputs, in words. */
  changes: string[];
  /** The `after:` in force when the job was held: approving does what the person was shown. */
  after: After;
  /** The rule's text the job ran under; approving it is what stops `approve: first` holding. */
  rule_hash: string;
}

/**
 * Whether a finished job must wait for a person before it publishes: always, or for `first`,
 * until a job of the rule's current text has been approved.
 */
export function needsApproval(rule: Rule, store: Store): boolean {
  // `tools` holds a job at a connector's call that changes things (connectors/tools.ts), not its outputs.
  if (rule.approve === 'never' || rule.approve === 'tools') return false;
  if (rule.approve === 'always') return true;
  const approved = store.getState<string[]>(`approved:${rule.name}`) ?? [];
  return !approved.includes(rule.hash);
}

export function rememberApproval(rule: { name: string; hash: string }, store: Store): void {
  const key = `approved:${rule.name}`;
  const approved = store.getState<string[]>(key) ?? [];
  if (!approved.includes(rule.hash)) store.setState(key, [...approved, rule.hash]);
}

/**
 * Everything approving would do beyond adding new files to the outputs folder: an output that
 * replaces an existing file, a file written outside the rule's outputs folder, and the rule's
 * `after:` moving or trashing the original. Listed so the person sees it before it happens.
 */
export function outsideChanges(job: Pick<JobRow, 'file' | 'trigger'>, after: After, staged: StagedOutput[], outputFolder?: string): string[] {
  const changes: string[] = [];
  for (const s of staged) {
    if (s.onConflict === 'overwrite' && fs.existsSync(s.dest)) changes.push(`will overwrite ${s.dest}`);
    if (outputFolder && !isInside(s.dest, outputFolder)) changes.push(`will write ${s.dest}, outside the rule's outputs folder`);
  }
  if (job.file && job.trigger !== 'schedule') {
    if (after.kind === 'trash') changes.push(`will move the original ${job.file} to the trash`);
    if (after.kind === 'move') changes.push(`will move the original ${job.file} to ${after.folder}`);
  }
  return changes;
}

/** Ends an attempt as held: outputs stay staged in the job's folder until someone decides. */
export function holdForApproval(ctx: Pick<JobContext, 'job' | 'rule' | 'step'>, staged: StagedOutput[]): Outcome {
  const changes = outsideChanges(ctx.job, ctx.rule.after, staged, ctx.rule.output);
  const held: HeldPayload = { ...payloadOf(ctx.job), staged, changes, after: ctx.rule.after, rule_hash: ctx.rule.hash };
  const also = changes.length ? `; it also ${changes.length === 1 ? 'changes a file' : `changes ${changes.length} files`} outside its outputs` : '';
  ctx.step('held', `waiting for approval before publishing ${staged.length} file(s)${also}`, { outputs: staged.map((s) => s.dest), changes });
  return { status: 'waiting', reason: AWAITING_APPROVAL, payload: JSON.stringify(held) };
}

/** The reason a job waits with when `approve: tools` stopped it at a connector's call that changes things. */
export const AWAITING_TOOL_APPROVAL = 'awaiting approval of a connector call';

export function awaitsToolApproval(job: Pick<JobRow, 'status' | 'reason'>): boolean {
  return job.status === 'waiting' && (job.reason ?? '').startsWith(AWAITING_TOOL_APPROVAL);
}

/** Once approved, the job's next attempt makes its connector calls without stopping again. */
export function toolCallsApproved(store: Store, jobId: number): boolean {
  return store.getState<boolean>(`tools-approved:${jobId}`) === true;
}

export function rememberToolApproval(store: Store, jobId: number): void {
  store.setState(`tools-approved:${jobId}`, true);
}

/** The held facts of a job waiting for approval, or undefined for any other job. */
export function heldPayload(job: JobRow): HeldPayload | undefined {
  if (job.status !== 'waiting' || job.reason !== AWAITING_APPROVAL) return undefined;
  const p = payloadOf(job) as Partial<HeldPayload>;
  if (!Array.isArray(p.staged)) return undefined;
  return { ...p, staged: p.staged, changes: p.changes ?? [], after: p.after ?? { kind: 'keep' }, rule_hash: p.rule_hash ?? '' };
}

/**
 * A held job's staged outputs come back from the history when someone approves, and on a team
 * the history is a database others can write: a row could name any file of this host as a
 * "staged" source (approving would move it into the outputs) or any place as a destination.
 * So each source must be a regular file in the job's own folder, reached without a link, and
 * each destination inside a folder the rule writes to (its outputs, or the fixed part of an
 * absolute `copy:`/`move:` folder). Throws with the first reason; nothing is touched then.
 */
export function checkStaged(staged: readonly StagedOutput[], jobFolder: string, rule: Pick<Rule, 'output' | 'actions'>): void {
  const writes = [rule.output, ...(rule.actions ?? []).flatMap((a) => {
    const fixed = a.target.split('{')[0] ?? '';
    return a.kind !== 'rename' && path.isAbsolute(fixed) ? [a.target.includes('{') ? path.dirname(fixed) : fixed] : [];
  })];
  for (const s of staged) {
    const { source, dest } = s as { source: unknown; dest: unknown };
    if (typeof source !== 'string' || typeof dest !== 'string') throw new UnrecoverableError('a staged output of this job is not a file name; refused');
    if (!isInside(source, jobFolder) || path.resolve(source) !== source) throw new UnrecoverableError(`refused: the staged file ${source} is not in this job's folder ${jobFolder}`);
    const st = entryStat(jobFolder, path.relative(jobFolder, source).split(path.sep).join('/'), source);
    if (!st?.isFile()) throw new UnrecoverableError(`refused: the staged file ${source} is ${st ? 'not a regular file' : 'gone'}`);
    if (path.resolve(dest) !== dest || !writes.some((w) => isInside(dest, w))) throw new UnrecoverableError(`refused: ${dest} is outside the folders rule writes to (${writes.join(', ')})`);
  }
}
