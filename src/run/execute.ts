import fs from 'node:fs';
import path from 'node:path';
import { SkipJob, UnrecoverableError } from '../errors.js';
import { publish } from '../publish/publish.js';
import { formatBytes } from '../sandbox/limits.js';
import { untilWritten } from '../watch/writers.js';
import { refuseLinkedFolders } from '../publish/real-folders.js';
import { applyAfter } from './after.js';
import { freshJobFolder } from './job-folder.js';
import { holdForApproval, needsApproval } from './approval.js';
import type { JobContext } from './context.js';
import { confirmOriginal } from './original.js';
import { recordProduced } from './produced.js';
import { runnerFor } from './runners.js';
import { Journal, type Change } from '../undo/journal.js';
import { blobsFor } from '../undo/revert.js';

export type Outcome =
  /** `changes`: what publishing and after: did, saved with the success for undo (src/undo). */
  | { status: 'succeeded'; outputs: string[]; reason?: string; changes?: Change[] }
  | { status: 'waiting'; reason: string; payload: string };

/** The lock every process that publishes shares (src/publish/lock.ts). */
export function publishLockFile(paths: Pick<JobContext['paths'], 'dataDir'>): string {
  return path.join(paths.dataDir, 'publish.lock');
}

export function jobDir(jobsDir: string, jobId: number): string {
  return path.join(jobsDir, String(jobId));
}

/**
 * One attempt at a job: run the rule's steps or agent into staging, hold for approval when the
 * rule asks, otherwise publish and tidy the original. Throws for the worker to classify.
 */
export async function executeJob(ctx: JobContext): Promise<Outcome> {
  // Whatever an interrupted attempt left is discarded: each attempt starts clean.
  await freshJobFolder(ctx.workdir);
  if (ctx.job.file) refuseTooLarge(ctx.job.file, ctx.rule.maxFileMb);
  const { staged } = await runnerFor(ctx.rule)(ctx);
  if (ctx.signal.aborted) throw new UnrecoverableError('stopped before publishing');
  await recordProduced(ctx, staged);
  // A compile job (src/program) publishes nothing: there is nothing to approve.
  if (ctx.job.trigger !== 'compile' && needsApproval(ctx.rule, ctx.store)) return holdForApproval(ctx, staged);
  // A writer still holding the original open may not be done: its next bytes would make this
  // job's outputs a half. Wait for it; the check in finishPublishing then sees what it wrote.
  // A file the watcher took was free of writers when it settled (watcher.ts waits for them)
  // and a later write is caught by that check, so only files queued by hand are looked at
  // here: a /proc scan per job held copy jobs to ~16/s. The scan (20-90 ms on a busy machine)
  // may be one a runner started while it waited on something else (the program runner, while
  // Docker starts its container): one taken since this attempt began, at most 2 s old, as the
  // watcher shares one. It sees every writer that held the file from then on; one that opened it
  // later and wrote before now is caught by the content check in finishPublishing.
  if (ctx.job.file && ctx.job.trigger === 'manual') await untilWritten(ctx.job.file, ctx.signal, undefined, undefined, ctx.job.started_at ?? undefined);
  return finishPublishing(ctx, staged);
}

/**
 * A file above the rule's skip_files_over_mb is skipped before any copy of it is made. The apparent
 * size counts, holes included: it is what a step or the agent would have to read.
 */
function refuseTooLarge(file: string, maxFileMb: number): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return; // gone or unreadable: the runner says so in its own words
  }
  if (size > maxFileMb * 1024 * 1024) {
    throw new SkipJob(`the file is ${formatBytes(size)}, more than this rule's skip_files_over_mb: ${maxFileMb} (${formatBytes(maxFileMb * 1024 * 1024)}); to process it, raise skip_files_over_mb in the rule, then: dropwork run FILE --force`);
  }
}

/** What the host whose inbox holds the original does with it, said as a person would (not "after:"). */
function afterElsewhere(after: JobContext['rule']['after']): string {
  if (after.kind === 'keep') return 'keeps it there';
  if (after.kind === 'trash') return 'moves it to the trash';
  return `moves it to ${after.folder}`;
}

/**
 * Publishes staged outputs and applies `after:`; also what approving a held job does. Nothing
 * is published, and the original is left alone, when the original is no longer the content
 * the job worked on (original.ts). The job's folder is left to the caller to remove.
 */
export function finishPublishing(ctx: Pick<JobContext, 'job' | 'rule' | 'workdir' | 'step' | 'store' | 'paths' | 'stillMine' | 'originalOn'>, staged: Parameters<typeof publish>[0]): { status: 'succeeded'; outputs: string[]; reason?: string; changes: Change[] } {
  // A worker cut off past its lease (a team's host that lost the network) finds its job taken
  // back and run elsewhere: it must not publish that job a second time.
  if (ctx.stillMine && !ctx.stillMine()) throw new UnrecoverableError('this worker lost the job (its lease ran out and another worker took it); nothing published');
  const original = confirmOriginal(ctx.job, ctx.rule.definition, ctx.store, ctx.rule.watch);
  const journal = new Journal(blobsFor(ctx.paths));
  const { ok, refused } = refuseLinkedFolders(staged, ctx.rule.output);
  for (const r of refused) ctx.step('published', `not published: ${r.dest}: ${r.reason}`);
  const { published, skipped } = publish(ok, { lock: publishLockFile(ctx.paths), journal, outputs: ctx.rule.output });
  for (const p of published) ctx.step('published', p);
  for (const s of skipped) ctx.step('published', `left ${s} as it was (on_conflict: skip)`);
  if (ctx.originalOn) {
    ctx.step('after', `the original is in an inbox of ${ctx.originalOn}, which ${afterElsewhere(ctx.rule.after)}`);
  } else if (ctx.job.file && ctx.job.trigger !== 'schedule') {
    if (original.state === 'same') ctx.step('after', applyAfter(ctx.rule, ctx.job.file, original.seen, journal));
    else if (original.state === 'gone') ctx.step('after', ctx.rule.after.kind === 'keep' ? 'kept the original' : 'the original was already gone');
  }
  const reason = published.length === 0 && skipped.length > 0 ? 'every output already existed (on_conflict: skip)' : undefined;
  const { changes } = journal;
  return reason ? { status: 'succeeded', outputs: published, reason, changes } : { status: 'succeeded', outputs: published, changes };
}
