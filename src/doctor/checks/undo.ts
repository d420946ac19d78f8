import fs from 'node:fs';
import Database from 'better-sqlite3';
import { openStore } from '../../queue/open.js';
import { schemaVersion } from '../../queue/db.js';
import { undoSpace } from '../../undo/retention.js';
import { formatBytes, pass, warn, type Check, type DoctorContext } from '../check.js';
import { teamProbe } from '../team-probe.js';

/**
 * The schema version of the history as it is, read without changing it: opening the store would
 * migrate it, and the doctor, which says "run dropwork db migrate", then made `db migrate` answer
 * "already up to date" on a database it had just migrated itself (issue 19).
 */
function storedVersion(ctx: DoctorContext): number {
  const probe = teamProbe(ctx);
  if (probe) return probe.reachable ? probe.version : 0;
  if (!fs.existsSync(ctx.paths.dbFile)) return 0;
  const db = new Database(ctx.paths.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** The space undo keeps earlier versions in, against `undo_max_mb`. */
export const undoCheck: Check = {
  id: 'undo',
  title: 'Undo',
  // A team's database that does not answer is reported once, by the Team database check.
  applies: (ctx) => teamProbe(ctx)?.reachable !== false,
  run(ctx) {
    const keep = `jobs can be reverted for ${ctx.config.undo_keep_days} days`;
    // A history not made or not migrated yet is left as it is: the doctor changes nothing.
    const version = storedVersion(ctx);
    if (version === 0) return pass(`nothing kept yet, limit ${ctx.config.undo_max_mb} MB; ${keep}`);
    if (version !== schemaVersion()) return warn(`not measured: the history is at schema version ${version}, this dropwork's is ${schemaVersion()}`, version < schemaVersion() ? 'run dropwork db migrate (or start dropwork, which does it)' : 'a newer dropwork migrated it; upgrade this host');
    const store = openStore(ctx.paths, ctx.config);
    try {
      const { bytes, versions } = undoSpace(store);
      const limit = ctx.config.undo_max_mb * 1024 * 1024;
      const summary = `${formatBytes(bytes)} in ${versions} earlier version(s) kept, limit ${ctx.config.undo_max_mb} MB; ${keep}`;
      // Pruning runs in the daemon every few hours: over the limit means it has not run lately.
      if (bytes > limit) return warn(summary, 'start the daemon (it prunes the oldest versions), or raise undo_max_mb in config.yaml');
      return pass(summary);
    } finally {
      store.close();
    }
  },
};
