/**
 * What became of a rule's last compile job, for `dropwork rules program NAME`: a compile that
 * failed leaves its trail there (the job, its reason, how to try again), not only in `jobs`.
 */
import { localTime, zoneName } from '../human.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';

export function lastCompile(store: Store, rule: string): JobRow | undefined {
  return store.db.prepare("SELECT * FROM jobs WHERE rule = ? AND trigger = 'compile' ORDER BY id DESC LIMIT 1").get(rule) as JobRow | undefined;
}

/** One or two lines about the last compile job, or nothing when it succeeded (the program says the rest). */
export function compileTrail(store: Store, rule: string): string {
  const job = lastCompile(store, rule);
  if (!job || job.status === 'succeeded' || job.status === 'reverted') return '';
  const at = `${localTime(job.created_at)} ${zoneName(job.created_at)}`;
  const why = job.reason ? `: ${job.reason}` : '';
  switch (job.status) {
    case 'failed':
    case 'skipped':
    case 'cancelled':
      return `the last compile (job ${job.id}, queued ${at}) ${job.status === 'failed' ? 'failed' : `was ${job.status}`}${why}\n`
        + `  try again with: dropwork jobs retry ${job.id}   (its log: dropwork jobs show ${job.id})\n`;
    case 'waiting':
      return `compile job ${job.id} (queued ${at}) is waiting${why}\n`;
    default:
      return `compile job ${job.id} (queued ${at}) is ${job.status === 'running' ? 'running' : 'queued'}: dropwork jobs show ${job.id}\n`;
  }
}
