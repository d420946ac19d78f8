import fs from 'node:fs';
import type { StagedOutput } from '../publish/publish.js';
import { sha256File } from '../watch/fingerprint.js';
import type { JobContext } from './context.js';

/**
 * Records the content of a job's staged outputs as its rule's results before any of them is
 * published (or held for approval), so a watcher that sees one appear already knows it: a rule
 * may watch its own outputs folder and never take its own results again.
 * Each output's facts are kept on it (StagedOutput.facts), so the undo journal does not hash
 * the published file a second time.
 */
export async function recordProduced(ctx: Pick<JobContext, 'job' | 'rule' | 'store'>, staged: StagedOutput[]): Promise<void> {
  if (staged.length === 0) return;
  const shas: string[] = [];
  for (const s of staged) {
    // Steps (copy, move, rename) publish the original's own bytes: runSteps set the facts from
    // its known hash, and reading a 1 GB output again only to learn it would double the reading.
    s.facts ??= { size: (await fs.promises.stat(s.source)).size, sha256: await sha256File(s.source) };
    shas.push(s.facts.sha256);
  }
  ctx.store.drops.produce(ctx.rule.name, ctx.job.id, ctx.job.sha256, shas);
}
