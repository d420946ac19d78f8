/**
 * The `if:` decision as the pipeline calls it: as the first step of a job (runners.ts turns a
 * "no" into a skipped job with the model's reason), and in `dropwork rules test`.
 */
import { loadConfig } from '../config.js';
import { DropworkError, SkipJob, errorMessage } from '../errors.js';
import { resolvePaths } from '../paths.js';
import { openStore } from '../queue/open.js';
import { RuleSet } from '../rules/registry.js';
import type { JobContext } from '../run/context.js';
import { hashOpenedAsync, openOriginal } from '../nofollow-files.js';
import { decideCondition } from './condition.js';
import { formatUsd } from './pricing.js';
import { recorder } from './transcript.js';

/** What the condition cost in this attempt: it counts toward the job's max_cost_usd. */
const conditionSpend = new WeakMap<JobContext, number>();

export function spentByCondition(ctx: JobContext): number {
  return conditionSpend.get(ctx) ?? 0;
}

export async function conditionCheck(ctx: JobContext): Promise<{ match: boolean; reason: string }> {
  const file = ctx.job.file;
  // The file is opened once (never through a link below its inbox), checked against the content
  // the job was queued for, and what the model sees is read from that same opened file.
  const opened = file ? openOriginal(file, ctx.rule.watch) : undefined;
  const record = recorder(ctx);
  let d: Awaited<ReturnType<typeof decideCondition>>;
  try {
    if (opened && ctx.job.sha256 && (await hashOpenedAsync(opened)) !== ctx.job.sha256) {
      throw new SkipJob('the file changed before its job ran; its new content gets a job of its own');
    }
    d = await decideCondition({
      rule: ctx.rule, config: ctx.config, paths: ctx.paths, store: ctx.store, file, ...(opened ? { readFrom: opened.path } : {}), sha256: ctx.job.sha256, signal: ctx.signal, record, maxCostUsd: ctx.rule.maxCostUsd,
      addUsage: (u) => {
        ctx.store.addUsage(ctx.job.id, u);
        conditionSpend.set(ctx, spentByCondition(ctx) + u.cost_usd);
      },
    });
  } finally {
    opened?.close();
  }
  if (d.cached) record('condition_cache', `decided before by ${d.model} for this content and condition; not asked again`);
  return { match: d.match, reason: d.reason };
}

/** Lines for `dropwork rules test RULE FILE`: the decision, asked (and kept) like a job would. */
export async function dryRunCondition(ruleName: string, file: string): Promise<string[]> {
  const paths = resolvePaths();
  const set = RuleSet.of(paths);
  set.reload();
  const rule = set.rules.get(ruleName);
  if (!rule?.if) return [];
  const config = loadConfig(paths.configFile).config;
  const store = openStore(paths);
  let opened: ReturnType<typeof openOriginal> | undefined;
  try {
    // The dashboard's condition test names a file of an inbox: opened once, never through a link.
    opened = openOriginal(file, rule.watch);
    const d = await decideCondition({ rule, config, paths, store, file, readFrom: opened.path, sha256: await hashOpenedAsync(opened), signal: AbortSignal.timeout(120_000) });
    const how = d.cached ? `decided before by ${d.model}` : `${d.model}, ${formatUsd(d.costUsd)}`;
    return [`if: ${rule.if}`, `  ${d.match ? 'yes' : 'no'}: ${d.reason} (${how})`, ...(d.match ? [] : ['  so the job would be skipped'])];
  } catch (err) {
    const why = err instanceof DropworkError ? err.message : errorMessage(err);
    return [`if: ${rule.if}`, `  cannot decide now: ${why}`];
  } finally {
    opened?.close();
    store.close();
  }
}
