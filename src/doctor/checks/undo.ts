import { openStore } from '../../queue/open.js';
import { undoSpace } from '../../undo/retention.js';
import { formatBytes, pass, warn, type Check } from '../check.js';
import { teamProbe } from '../team-probe.js';

/** The space undo keeps earlier versions in, against `undo_max_mb`. */
export const undoCheck: Check = {
  id: 'undo',
  title: 'Undo',
  // A team's database that does not answer is reported once, by the Team database check.
  applies: (ctx) => teamProbe(ctx)?.reachable !== false,
  run(ctx) {
    const store = openStore(ctx.paths, ctx.config);
    try {
      const { bytes, versions } = undoSpace(store);
      const limit = ctx.config.undo_max_mb * 1024 * 1024;
      const summary = `${formatBytes(bytes)} in ${versions} earlier version(s) kept, limit ${ctx.config.undo_max_mb} MB; jobs can be reverted for ${ctx.config.undo_keep_days} days`;
      // Pruning runs in the daemon every few hours: over the limit means it has not run lately.
      if (bytes > limit) return warn(summary, 'start the daemon (it prunes the oldest versions), or raise undo_max_mb in config.yaml');
      return pass(summary);
    } finally {
      store.close();
    }
  },
};
