/**
 * When a rule learns: after each agent job of a compiling rule succeeds, it is kept as an
 * example, and once the rule has `compile_after` of them (and no program yet, or its program
 * sent `recompile_after` files to the agent since), one compile job is queued. Never while one
 * is queued or running, never again for a task marked not compilable or a program rejected
 * (until the rule's text changes), and never twice for the same examples, so `suggest` does
 * not keep spending.
 */
import fs from 'node:fs';
import type { Paths } from '../paths.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';
import { changesOf } from '../undo/journal.js';
import type { CompilePayload } from './compile.js';
import { keepExample } from './examples.js';
import { FALLBACK_STEP, PROGRAM_STEP, type CompileMode } from './mode.js';
import { addExample, currentProgram, examplesOf, pruneExamples, taskHash } from './store.js';

/** Whether the agent did this job (a program job that fell back counts: the agent did the file). */
export function ranOnAgent(store: Store, job: JobRow): boolean {
  const kinds = new Set(store.logs(job.id).map((e) => e.kind));
  return !kinds.has(PROGRAM_STEP) || kinds.has(FALLBACK_STEP);
}

/** When the rule's file last changed: a job started before then may have run under other words. */
function ruleWrittenAt(rule: Rule): number {
  try {
    return fs.statSync(rule.source.file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Keeps a succeeded agent job as an example; returns why not when it cannot be one. */
export function learnFrom(store: Store, paths: Paths, rule: Rule, job: JobRow): string | undefined {
  if (job.trigger === 'compile' || !job.file) return 'not a file job';
  if ((job.started_at ?? 0) < ruleWrittenAt(rule)) return 'it ran before the rule was last edited';
  if (!ranOnAgent(store, job)) return 'the program did it';
  const current = currentProgram(store.db, rule);
  // Nothing more to learn until the rule's text changes (and then these would not count).
  if (current?.status === 'not_compilable' || current?.status === 'rejected') return `the rule is ${current.status.replace('_', ' ')}`;
  const kept = keepExample(paths, rule, job, changesOf(store.db, job.id));
  if ('why' in kept) return kept.why;
  addExample(store.db, { job_id: job.id, rule: rule.name, task_hash: taskHash(rule), dir: kept.dir, cost_usd: job.cost_usd });
  // A ledger's copy per example adds up: only the newest few are kept.
  for (const dir of pruneExamples(store.db, rule.name)) fs.rmSync(dir, { recursive: true, force: true });
  return undefined;
}

/** Queues a compile job for the rule when it is due; returns it. */
export function maybeCompile(store: Store, rule: Rule, mode: CompileMode): JobRow | undefined {
  if (mode === 'off') return undefined;
  const db = store.db;
  const busy = db.prepare("SELECT 1 FROM jobs WHERE rule = ? AND trigger = 'compile' AND status IN ('queued', 'running', 'waiting')").get(rule.name);
  if (busy) return undefined;
  const current = currentProgram(db, rule);
  if (current && current.status !== 'approved') return undefined;
  if (current && current.fallbacks < rule.compile.recompileAfter) return undefined;
  const examples = examplesOf(db, rule);
  if (examples.length < rule.compile.after) return undefined;
  const ids = examples.map((e) => e.job_id);
  const newest = Math.max(...ids);
  if (current && newest <= Math.max(0, ...current.examples)) return undefined;
  // A compile job that failed (an error, its cost cap) is tried again only after
  // recompile_after newer examples, so a task that keeps failing does not keep spending.
  const hash = taskHash(rule);
  const failed = db.prepare(`SELECT MAX((SELECT MAX(CAST(value AS INTEGER)) FROM json_each(json_extract(payload, '$.examples')))) AS last FROM jobs
      WHERE rule = ? AND trigger = 'compile' AND json_extract(payload, '$.task_hash') = ? AND status IN ('failed', 'cancelled', 'skipped')`).get(rule.name, hash) as { last: number | null };
  if (failed.last !== null && ids.filter((id) => id > (failed.last as number)).length < rule.compile.recompileAfter) return undefined;
  const payload: CompilePayload = { task_hash: hash, examples: ids };
  return store.enqueue({ rule: rule.name, file: null, sha256: null, trigger: 'compile', dedupe: false, payload: { ...payload } });
}

/**
 * Succeeded jobs of the rule not yet looked at as examples: those approved from the CLI (whose
 * events the daemon does not hear) and those a stop cut off between success and copying.
 */
export function unlearned(store: Store, rule: Rule, seen: ReadonlySet<number>): JobRow[] {
  return (store.db.prepare(`SELECT * FROM jobs WHERE rule = ? AND status = 'succeeded' AND file IS NOT NULL AND trigger != 'compile' AND started_at >= ?
      AND id NOT IN (SELECT job_id FROM program_examples) ORDER BY id DESC LIMIT 20`).all(rule.name, ruleWrittenAt(rule)) as JobRow[])
    .filter((j) => !seen.has(j.id)).reverse();
}
