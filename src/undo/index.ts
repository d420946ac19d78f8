import type { Daemon } from '../daemon.js';
import { registerPlugin } from '../plugins.js';
import { publishLockFile } from '../run/execute.js';
import { blobsFor, resumeReverts } from './revert.js';
import { pruneUndo } from './retention.js';

const PRUNE_EVERY_MS = 6 * 3600_000;

let timer: NodeJS.Timeout | undefined;

function prune(d: Daemon): void {
  const { undo_keep_days: keepDays, undo_max_mb: maxMb } = d.config;
  const r = pruneUndo(d.store, blobsFor(d.opts.paths), { keepDays, maxMb });
  if (r.expired || r.freedBytes) d.log.info('pruned undo records', { jobs_no_longer_revertable: r.expired, freed_bytes: r.freedBytes, used_bytes: r.usedBytes });
}

/**
 * At start: finish any revert a crash cut short, then keep undo within its limits, and again
 * every few hours. Reverting itself is the `jobs revert` / `rules revert` commands.
 */
registerPlugin({
  name: 'undo',
  start(d) {
    const { resumed, stuck } = resumeReverts(d.store, blobsFor(d.opts.paths), publishLockFile(d.opts.paths));
    if (resumed.length) d.log.info('finished reverts cut short by a stop', { jobs: resumed });
    for (const s of stuck) d.log.warn(`a revert could not be finished: ${s}`);
    prune(d);
    timer = setInterval(() => { try { prune(d); } catch (err) { d.log.warn('could not prune undo records', { error: String(err) }); } }, PRUNE_EVERY_MS);
    timer.unref();
  },
  stop() {
    clearInterval(timer);
  },
});
