import type { StagedOutput } from '../publish/publish.js';
import { sha256File } from '../watch/fingerprint.js';
import type { JobContext } from './context.js';

/**
 * Records the content of a job's staged outputs as its rule's results before any of them is
 * published (or held for approval), so a watcher that sees one appear already knows it: a rule
 * may watch its own outputs folder and never take its own results again.
 */
export async function recordProduced(ctx: Pick<JobContext, 'job' | 'rule' | 'store'>, staged: StagedOutput[]): Promise<void> {
  if (staged.length === 0) return;
  const shas: string[] = [];
  // Steps (copy, move, rename) publish the original's own bytes: its hash is already known,
  // and reading a 1 GB output again only to learn it would double the job's reading.
  if (ctx.rule.actions && ctx.job.sha256) shas.push(ctx.job.sha256);
  else for (const s of staged) shas.push(await sha256File(s.source));
  ctx.store.drops.produce(ctx.rule.name, ctx.job.id, ctx.job.sha256, shas);
}
