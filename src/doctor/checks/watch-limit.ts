import fs from 'node:fs';
import { isIgnoredName } from '../../rules/match.js';
import { watchesContinuously } from '../../rules/rule.js';
import { walkFolder } from '../../watch/scan.js';
import { fail, pass, warn, type Check, type DoctorContext } from '../check.js';

const FIX = 'raise it: echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/60-dropwork.conf && sudo sysctl --system; or set `poll: true` on the biggest inboxes';

/**
 * On Linux each watched file and folder takes one of the user's inotify watches, shared with
 * every other program (editors, IDEs, sync clients). Past the limit dropwork falls back to
 * polling, which works but is slow on big inboxes.
 */
export const watchLimitCheck: Check = {
  id: 'watch-limit',
  title: 'Watch limit',
  run(ctx) {
    if (ctx.platform !== 'linux') return pass(`not limited on ${ctx.platform} (dropwork does not use inotify there)`);
    let limit: number;
    try {
      limit = Number(fs.readFileSync(ctx.inotifyLimitFile, 'utf8').trim());
    } catch (err) {
      return warn(`cannot read ${ctx.inotifyLimitFile} (${String(err)})`, 'check that inotify is available');
    }
    const { count, inboxes } = countWatched(ctx, limit + 1);
    const summary = `${count >= limit + 1 ? `more than ${limit}` : count} file(s) and folder(s) in ${inboxes} watched inbox(es); limit ${limit}`;
    if (count > limit) return fail(`${summary}: dropwork has to poll instead`, FIX);
    if (count > limit / 2) return warn(`${summary}: other programs need watches too`, FIX);
    return pass(summary);
  },
};

/** Entries that will take a watch, up to `stopAt` (counting the rest would change nothing). */
function countWatched(ctx: DoctorContext, stopAt: number): { count: number; inboxes: number } {
  const folders = new Map<string, boolean>();
  for (const rule of ctx.rules.list().filter(watchesContinuously)) {
    if (rule.poll || ctx.config.poll) continue;
    for (const w of rule.watch) folders.set(w, (folders.get(w) ?? false) || rule.recursive);
  }
  let count = 0;
  const skip = (_full: string, e: fs.Dirent): boolean => isIgnoredName(e.name);
  for (const [folder, recursive] of folders) {
    count++;
    walkFolder(folder, { recursive, skip, done: () => count >= stopAt }, () => { count++; });
  }
  return { count, inboxes: folders.size };
}
