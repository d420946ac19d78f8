import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, UnrecoverableError } from '../errors.js';
import { entryStat } from '../nofollow.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import { isInside } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';

/** How this host takes part: `work` runs jobs and watches nothing, so no file of its own is a job's. */
export type HostRole = 'all' | 'collect' | 'work';

/**
 * The file a job works on, as this host runs it. The job's row names a path, but the history is
 * a database others may write (a team's: anyone with its URL), so the name alone is believed for
 * nothing: a host runs the copy that travelled with the job in the database (intake.ts, or
 * `dropwork run` of a file outside the rule's inboxes), or, when it collects itself (`role:
 * all`) and queued the job, a regular file inside one of the rule's inboxes, reached without a
 * link on the way. Anything else fails the job with the reason, and no file of this host is read.
 * Returns the job as this host runs it, and the folder to remove afterwards.
 */
export function localJob(store: Store, jobsDir: string, job: JobRow, host: string | undefined, rule: Pick<Rule, 'name' | 'watch'>, role: HostRole): { job: JobRow; elsewhere?: string; folder?: string } {
  if (!job.file) return { job };
  const me = host ?? store.hostName;
  const mine = !job.collected_by || job.collected_by === me;
  const inInbox = !mine ? { ok: false as const, why: `a file on ${job.collected_by} is not this host's to read` }
    : role === 'work' ? { ok: false as const, why: 'this host collects no files (role: work)' } : inboxFile(job.file, rule);
  // Gone, or a folder: the runner says so in its own words (a skip), as before.
  if (inInbox.ok) return { job };
  const kept = store.keptFile(job.id);
  if (!kept) {
    const from = mine ? 'it was queued on this host' : `it was queued on ${job.collected_by}`;
    throw new UnrecoverableError(`refused to run ${job.file}: no copy of it travelled with the job (${from}), and ${inInbox.why}; a host runs only a file that travelled with its job or one in its own inboxes`);
  }
  const folder = path.join(jobsDir, `${job.id}.input`);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = path.join(folder, plainName(kept.name));
  fs.writeFileSync(file, kept.bytes, { mode: 0o600, flag: 'wx' });
  return mine ? { job: { ...job, file }, folder } : { job: { ...job, file }, elsewhere: job.collected_by ?? 'another host', folder };
}

/** A travelling file's name as one plain name: the row could say `..` or `a/b`. */
function plainName(name: string): string {
  const base = path.basename(name.replaceAll('\\', '/'));
  return base === '' || base === '.' || base === '..' || base.includes('\0') ? 'file' : base;
}

/**
 * Whether `file` is inside one of the rule's inboxes with no link below the inbox, and is a
 * regular file (or gone, or a folder: nothing to read there, the runner skips it).
 */
export function inboxFile(file: string, rule: Pick<Rule, 'name' | 'watch'>): { ok: true } | { ok: false; why: string } {
  const inbox = path.isAbsolute(file) && path.resolve(file) === file ? rule.watch.find((w) => isInside(file, w)) : undefined;
  if (!inbox) return { ok: false, why: `it is not in an inbox of rule "${rule.name}"` };
  try {
    const st = entryStat(inbox, path.relative(inbox, file).split(path.sep).join('/'), file);
    if (!st || st.isFile() || st.isDirectory()) return { ok: true };
    return { ok: false, why: st.isSymbolicLink() ? 'it is a symbolic link; links are never followed' : 'it is not a regular file' };
  } catch (err) {
    return { ok: false, why: errorMessage(err) };
  }
}
