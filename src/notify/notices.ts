import os from 'node:os';
import path from 'node:path';
import { NO_FILE_WORDS } from '../human.js';
import type { JobRow } from '../queue/status.js';
import type { Rule } from '../rules/rule.js';
import type { Notice } from './backend.js';
import { failureAdvice, shorten, waitAdvice, waitKind } from './hints.js';

/** Where a click on a job's notice leads; the dashboard sets it (setJobLink) once it runs. */
export type JobLink = (job: JobRow) => string | undefined;

/** Failure notices one rule may raise per burst; the rest are counted in one more. */
export const MAX_FAILURE_NOTICES = 5;

/**
 * What a burst of finished jobs of one rule says. Successes make one notice, however many;
 * failures one each, except that failures with the same reason (a rejected key fails every
 * job alike) make one notice with a count; waits one per kind (approval, budget, key).
 */
export function noticesFor(rule: Rule | undefined, ruleName: string, batch: { succeeded: JobRow[]; failed: JobRow[]; waiting: JobRow[] }, link: JobLink = () => undefined, told: ReadonlySet<string> = new Set()): Notice[] {
  const out: Notice[] = [];
  if (batch.succeeded.length > 0) out.push(successNotice(rule, ruleName, batch.succeeded));
  const failures = groupBy(batch.failed, failureKey);
  for (const jobs of failures.slice(0, MAX_FAILURE_NOTICES)) out.push(failureNotice(rule, ruleName, jobs, link, told.has(`f:${failureKey(jobs[0] as JobRow)}`)));
  const rest = failures.slice(MAX_FAILURE_NOTICES).flat();
  if (rest.length > 0) {
    out.push({
      title: `${ruleName}: ${rest.length} more ${plural(rest.length, 'job')} failed`,
      body: `Each for its own reason.\nSee them: dropwork jobs --status failed --rule ${quoteArg(ruleName)}`,
      urgency: 'critical',
      category: 'transfer.error',
      open: rule?.output,
    });
  }
  for (const jobs of groupBy(batch.waiting, waitKey)) out.push(waitingNotice(rule, ruleName, jobs, link, told.has(`w:${waitKey(jobs[0] as JobRow)}`)));
  return out;
}

/** Failures alike: the same reason. */
export const failureKey = (job: JobRow): string => job.reason ?? '';
/** Waits alike: the same kind (approval, budget, key). */
export const waitKey = (job: JobRow): string => waitKind(job.reason);

function successNotice(rule: Rule | undefined, ruleName: string, jobs: JobRow[]): Notice {
  const where = rule ? `Results in ${tilde(rule.output)}` : '';
  const open = rule?.output;
  if (jobs.length === 1) {
    const job = jobs[0] as JobRow;
    // A compile job (src/program) publishes nothing: what it learned is the program command's to show.
    if (job.trigger === 'compile') return { title: `${ruleName}: compile job done`, body: `See what it learned: dropwork rules program ${quoteArg(ruleName)}`, urgency: 'normal', category: 'transfer.complete' };
    const outputs = outputsOf(job);
    const made = outputs.length > 0 ? `Made ${names(outputs.map((o) => path.basename(o)), 3)}` : `Nothing new to publish${job.reason ? ` (${shorten(job.reason)})` : ''}`;
    return { title: `${ruleName}: ${subject(job)} done`, body: lines(made, where), urgency: 'normal', category: 'transfer.complete', open };
  }
  const files = jobs.filter((j) => j.file).map((j) => path.basename(j.file as string));
  const runs = jobs.length - files.length;
  const scheduled = jobs.every((j) => j.file || j.trigger === 'schedule');
  const what = files.length > 0 ? `${jobs.length} ${plural(jobs.length, 'file')} processed` : `${runs} ${scheduled ? 'scheduled ' : ''}${plural(runs, 'run')} done`;
  const made = jobs.reduce((n, j) => n + outputsOf(j).length, 0);
  const body = lines(files.length > 0 ? names(files, 3) : '', `${made} ${plural(made, 'result')}. ${where}`.trim());
  return { title: `${ruleName}: ${what}`, body, urgency: 'normal', category: 'transfer.complete', open };
}

/** `more`: the reason was told earlier in the burst; these are the jobs that failed for it since. */
function failureNotice(rule: Rule | undefined, ruleName: string, jobs: JobRow[], link: JobLink, more: boolean): Notice {
  const first = jobs[0] as JobRow;
  const advice = failureAdvice(first.reason, first.id);
  const title = more ? `${ruleName}: ${jobs.length} more ${plural(jobs.length, 'job')} failed the same way`
    : jobs.length === 1 ? `${ruleName}: ${subject(first)} failed` : `${ruleName}: ${jobs.length} files failed`;
  const who = jobs.length === 1 ? '' : names(jobs.map(subject), 3);
  return { title, body: lines(who, advice.what, advice.todo), urgency: 'critical', category: 'transfer.error', open: link(first) ?? rule?.output };
}

function waitingNotice(rule: Rule | undefined, ruleName: string, jobs: JobRow[], link: JobLink, more: boolean): Notice {
  const first = jobs[0] as JobRow;
  const advice = waitAdvice(first.reason, first.id);
  const kind = waitKind(first.reason);
  const verb = kind === 'approval' ? 'for your approval' : kind === 'budget' ? 'for tomorrow\'s budget' : kind === 'api-key' ? 'for an API key' : 'for you';
  const title = more ? `${ruleName}: ${jobs.length} more ${plural(jobs.length, 'job')} ${jobs.length === 1 ? 'waits' : 'wait'} ${verb}`
    : jobs.length === 1 ? `${ruleName}: ${subject(first)} waits ${verb}` : `${ruleName}: ${jobs.length} jobs wait ${verb}`;
  const who = jobs.length === 1 ? '' : names(jobs.map(subject), 3);
  const why = kind === 'approval' ? '' : advice.what;
  return { title, body: lines(who, why, advice.todo), urgency: 'normal', open: link(first) ?? rule?.output };
}

/** The file a job was for, or what started it. */
function subject(job: JobRow): string {
  if (job.file) return path.basename(job.file);
  // Said by its real trigger: a compile or a run by hand is not a "scheduled run".
  return job.trigger === 'schedule' ? 'scheduled run' : `${NO_FILE_WORDS[job.trigger].toLowerCase()} (job ${job.id})`;
}

function outputsOf(job: JobRow): string[] {
  try {
    const v: unknown = JSON.parse(job.outputs);
    return Array.isArray(v) ? v.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}

/** "a.pdf, b.pdf, c.pdf and 37 more" */
export function names(items: string[], shown: number): string {
  if (items.length <= shown) return items.join(', ');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

function groupBy<T>(items: T[], key: (t: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return [...groups.values()];
}

function lines(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('\n');
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function quoteArg(s: string): string {
  return /^[\w.-]+$/.test(s) ? s : `"${s}"`;
}

/** ~/outputs/receipts rather than /home/ada/outputs/receipts. */
export function tilde(p: string, home: string = process.env.HOME || os.homedir()): string {
  return home && (p === home || p.startsWith(home + path.sep)) ? `~${p.slice(home.length)}` : p;
}
