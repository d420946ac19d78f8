import fs from 'node:fs';
import path from 'node:path';
import { UnrecoverableError } from '../errors.js';
import { publish } from '../publish/publish.js';
import { applyAfter } from './after.js';
import { holdForApproval, needsApproval } from './approval.js';
import { payloadOf, type JobContext } from './context.js';
import { runnerFor } from './runners.js';
import { Journal, type Change } from '../undo/journal.js';
import { blobsFor } from '../undo/revert.js';

export type Outcome =
  /** `changes`: what publishing and after: did, saved with the success for undo. */
  | { status: 'succeeded'; outputs: string[]; reason?: string; changes?: Change[] }
  | { status: 'waiting'; reason: string; payload: string };

export function jobDir(jobsDir: string, jobId: number): string {
  return path.join(jobsDir, String(jobId));
}

/**
 * One attempt at a job: run the rule's steps or agent into staging, hold for approval when the
 * rule asks, otherwise publish and tidy the original. Throws for the worker to classify.
 */
export async function executeJob(ctx: JobContext): Promise<Outcome> {
  // Whatever an interrupted attempt left is discarded: each attempt starts clean.
  fs.rmSync(ctx.workdir, { recursive: true, force: true });
  fs.mkdirSync(ctx.workdir, { recursive: true });
  const { staged } = await runnerFor(ctx.rule)(ctx);
  if (ctx.signal.aborted) throw new UnrecoverableError('stopped before publishing');
  // A compile job (src/program) publishes nothing: there is nothing to approve.
  if (ctx.job.trigger !== 'compile' && needsApproval(ctx.rule, ctx.store)) return holdForApproval(ctx, staged);
  return finishPublishing(ctx, staged, new Journal(blobsFor(ctx.paths)));
}

/** Publishes staged outputs and applies `after:`; also what approving a held job does. */
export function finishPublishing(ctx: Pick<JobContext, 'job' | 'rule' | 'workdir' | 'step'>, staged: Parameters<typeof publish>[0], journal: Journal): { status: 'succeeded'; outputs: string[]; reason?: string; changes: Change[] } {
  const { published, skipped } = publish(staged, journal);
  for (const p of published) ctx.step('published', p);
  for (const s of skipped) ctx.step('published', `left ${s} as it was (on_conflict: skip)`);
  if (ctx.job.file && ctx.job.trigger !== 'schedule') {
    const facts = payloadOf(ctx.job);
    if (facts.size !== undefined && facts.mtimeMs !== undefined) {
      ctx.step('after', applyAfter(ctx.rule.after, ctx.job.file, { size: facts.size, mtimeMs: facts.mtimeMs }, journal));
    }
  }
  fs.rmSync(ctx.workdir, { recursive: true, force: true });
  const reason = published.length === 0 && skipped.length > 0 ? 'every output already existed (on_conflict: skip)' : undefined;
  const changes = journal.changes;
  return reason ? { status: 'succeeded', outputs: published, reason, changes } : { status: 'succeeded', outputs: published, changes };
}
