import type { Daemon } from '../daemon.js';
import { errorMessage } from '../errors.js';
import type { JobRow } from '../queue/status.js';
import { applyAfter } from '../run/after.js';
import { confirmOriginal } from '../run/original.js';
import { Journal, saveJournal } from '../undo/journal.js';
import { blobsFor } from '../undo/revert.js';

/**
 * The collecting host's side of a job another host ran: the original is in this host's inbox,
 * so this host applies the rule's `after:` once the job succeeded (journaled for undo, like any
 * after:), then lets go of the copy that travelled with the job. A job that ended otherwise just
 * lets go of its copy. Runs with the heartbeat.
 */
export function tidyCollected(d: Daemon): number {
  const { store, config, log } = d;
  const rows = store.db.prepare(`SELECT j.* FROM jobs j JOIN job_files f ON f.job_id = j.id
    WHERE j.collected_by = ? AND j.status IN ('succeeded', 'failed', 'skipped', 'cancelled') ORDER BY j.id LIMIT 200`).all(config.host_name) as JobRow[];
  for (const job of rows) {
    const rule = d.ruleSet.rules.get(job.rule);
    if (job.status === 'succeeded' && job.ran_by !== config.host_name && job.file && rule) {
      try {
        const original = confirmOriginal(job, rule.definition, store, rule.watch);
        const journal = new Journal(blobsFor(d.opts.paths));
        const said = original.state === 'same' ? applyAfter(rule, job.file, original.seen, journal) : 'the original was already gone';
        store.db.transaction(() => {
          saveJournal(store.db, job.id, journal.changes, blobsFor(d.opts.paths).seal);
          store.log(job.id, 'after', `${said} (on ${config.host_name})`);
        })();
      } catch (err) {
        log.warn('could not tidy the original of a job another host ran', { job: job.id, error: errorMessage(err) });
        store.log(job.id, 'after', `kept the original: ${errorMessage(err)}`);
      }
    }
    store.db.prepare('DELETE FROM job_files WHERE job_id = ?').run(job.id);
  }
  return rows.length;
}
