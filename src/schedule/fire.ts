import type { Daemon } from '../daemon.js';
import type { JobRow } from '../queue/status.js';
import type { Rule } from '../rules/rule.js';
import { sweepInboxes, type SweepResult } from './sweep.js';

export type Firing =
  | { kind: 'queued'; job: JobRow }
  | { kind: 'overlap'; job: number }
  | { kind: 'swept'; result: SweepResult }
  | { kind: 'unrunnable'; reason: string };

export interface FireOptions {
  /** When the firing was due (the cron time, or the missed one when catching up). */
  due: Date;
  /** Set when this firing makes up for one missed while the daemon was down. */
  catchUp?: boolean;
}

/**
 * What one firing of a scheduled rule does. A rule with inboxes sweeps them; a rule without
 * gets one job whose input is its `input:` folder (the agent runner builds input/ from it).
 * Firings never pile up: while the last scheduled job of the rule is still queued or running,
 * a new firing adds nothing.
 */
export async function fireRule(daemon: Daemon, rule: Rule, opts: FireOptions): Promise<Firing> {
  if (rule.watch.length > 0) return { kind: 'swept', result: await sweepInboxes(daemon, rule) };
  if (rule.actions) return { kind: 'unrunnable', reason: 'a scheduled rule with `actions:` needs `watch:` inboxes to sweep; steps act on files' };
  const { store } = daemon;
  const busy = store.db.prepare("SELECT id FROM jobs WHERE rule = ? AND trigger = 'schedule' AND status IN ('queued', 'running') LIMIT 1").get(rule.name) as { id: number } | undefined;
  if (busy) return { kind: 'overlap', job: busy.id };
  const payload: Record<string, unknown> = { fired_at: opts.due.toISOString() };
  if (opts.catchUp) payload.catch_up = true;
  const job = store.enqueue({ rule: rule.name, file: null, sha256: null, trigger: 'schedule', dedupe: false, payload });
  if (!job) return { kind: 'unrunnable', reason: 'the queue refused the job' };
  daemon.events.emit('job:queued', job);
  daemon.worker.wake();
  return { kind: 'queued', job };
}

/** One log line per firing, in the user's words. */
export function describeFiring(f: Firing): { level: 'info' | 'warn'; msg: string; fields: Record<string, unknown> } {
  switch (f.kind) {
    case 'queued':
      return { level: 'info', msg: 'scheduled job queued', fields: { job: f.job.id } };
    case 'overlap':
      return { level: 'info', msg: 'skipped this firing: the last scheduled job is still queued or running', fields: { job: f.job } };
    case 'swept':
      return { level: 'info', msg: 'swept the inboxes', fields: { files: f.result.offered, still_being_written: f.result.unsettled } };
    case 'unrunnable':
      return { level: 'warn', msg: `cannot run this schedule: ${f.reason}`, fields: {} };
  }
}
