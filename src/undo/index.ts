import path from 'node:path';
import type { Daemon } from '../daemon.js';
import { homeTrash, mountTop } from '../run/freedesktop-trash.js';
import type { Rule } from '../rules/rule.js';
import { registerPlugin } from '../plugins.js';
import { publishLockFile } from '../run/execute.js';
import { blobsFor, resumeReverts } from './revert.js';
import { pruneUndo } from './retention.js';

/**
 * Where this host's jobs may have changed files: outputs, inboxes, `after: move` folders, the
 * fixed part of an absolute `copy:`/`move:` folder, and the trash. A revert resumed at start
 * (nobody asked for it then) touches nothing elsewhere.
 */
function ruleFolders(rules: readonly Rule[]): string[] {
  const out = new Set<string>([homeTrash(process.env).dir]);
  for (const r of rules) {
    out.add(r.output);
    for (const w of r.watch) {
      out.add(w);
      // The trash of the inbox's own disk (freedesktop-trash.ts), named, not made.
      try {
        const top = mountTop(w);
        out.add(path.join(top, '.Trash', String(process.getuid?.() ?? 0)));
        out.add(path.join(top, `.Trash-${process.getuid?.() ?? 0}`));
      } catch {
        /* the inbox is not there (yet) */
      }
    }
    if (r.after.kind === 'move') out.add(r.after.folder);
    for (const a of r.actions ?? []) {
      const fixed = a.target.split('{')[0] ?? '';
      if (a.kind !== 'rename' && path.isAbsolute(fixed)) out.add(a.target.includes('{') ? path.dirname(fixed) : fixed);
    }
  }
  return [...out];
}

const PRUNE_EVERY_MS = 6 * 3600_000;

let timer: NodeJS.Timeout | undefined;

function prune(d: Daemon): void {
  const { undo_keep_days: keepDays, undo_max_mb: maxMb } = d.config;
  const r = pruneUndo(d.store, blobsFor(d.opts.paths), { keepDays, maxMb });
  for (const name of r.refused) d.log.warn('refused to delete a kept version: the history names it, but the name is not a sha256 (a row written into the database by hand?); no file was touched', { name });
  if (r.expired || r.freedBytes) d.log.info('pruned undo records', { jobs_no_longer_revertable: r.expired, freed_bytes: r.freedBytes, used_bytes: r.usedBytes });
}

/**
 * At start: finish any revert a crash cut short, then keep undo within its limits, and again
 * every few hours. Reverting itself is the `jobs revert` / `rules revert` commands.
 */
registerPlugin({
  name: 'undo',
  start(d) {
    const { resumed, stuck } = resumeReverts(d.store, blobsFor(d.opts.paths), publishLockFile(d.opts.paths), ruleFolders(d.rules));
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
