import fs from 'node:fs';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import { actorData, type Actor } from '../users/actor.js';
import { jobDir } from './execute.js';

/** A person's retry or cancel: the moved job, or why it could not move. */
export type Control = { ok: true; job: JobRow; was: JobRow['status'] } | { ok: false; why: string };

/**
 * Retry and cancel as the CLI and the dashboard both offer them; `by` says who, for the step
 * log ("by ana from the dashboard", "from the dashboard"), with the name apart in its data.
 */
export function retryJob(store: Store, row: JobRow, actor: Actor): Control {
  const job = store.move(row.id, 'queued', { run_at: Date.now(), reason: null }, { from: ['failed', 'skipped', 'cancelled', 'waiting'] });
  if (!job) return { ok: false, why: `job ${row.id} is ${row.status}; only failed, skipped, cancelled or waiting jobs can be retried` };
  store.log(row.id, 'retry', `queued again ${actor.by}`, actorData(actor));
  return { ok: true, job, was: row.status };
}

export function cancelJob(store: Store, jobsDir: string, row: JobRow, actor: Actor): Control {
  const job = store.move(row.id, 'cancelled', { reason: `cancelled ${actor.by}` }, { from: ['queued', 'running', 'waiting'] });
  if (!job) return { ok: false, why: `job ${row.id} is already ${row.status}` };
  store.log(row.id, 'cancelled', `cancelled ${actor.by}`, actorData(actor));
  // A held job keeps its staged outputs in its folder until approved; cancelled, they go. A
  // running job's worker notices within half a second and removes its own folder.
  if (row.status === 'waiting') fs.rmSync(jobDir(jobsDir, row.id), { recursive: true, force: true });
  return { ok: true, job, was: row.status };
}
