/**
 * How dropwork says statuses and times to a person in the terminal: the same words as the
 * dashboard (its STATUS_LABEL in src/web/public/dom.js, checked equal by a test, since the
 * page's JavaScript cannot import this file) and local time, as the dashboard shows it.
 * `--json` keeps the stable status names and UTC ISO times.
 */
import type { JobStatus, JobTrigger } from './queue/status.js';

export const STATUS_WORDS = {
  queued: 'Queued',
  running: 'Running',
  waiting: 'Waiting',
  succeeded: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
  reverted: 'Reverted',
} as const satisfies Record<JobStatus, string>;

/** A waiting job held for a person's yes or no. */
export const HELD_WORD = 'Needs approval';

export function statusWord(status: JobStatus, held = false): string {
  return held ? HELD_WORD : STATUS_WORDS[status];
}

/** "job 12: Failed — the reason", or what to do about a job held for approval. */
export function jobLine(id: number, status: JobStatus, reason: string | null, held = false): string {
  if (held) return `job ${id}: ${HELD_WORD} (dropwork jobs approve ${id}, or jobs deny ${id})`;
  return `job ${id}: ${STATUS_WORDS[status]}${reason ? ` — ${reason}` : ''}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:02:05", local. */
export function localClock(t: number | string | Date): string {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-11-30 14:02:05", local. */
export function localTime(t: number | string | Date): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${localClock(d)}`;
}

/** "UTC+01:00": said once where a command prints local times, so they are never taken for UTC. */
export function zoneName(t: number | string | Date = Date.now()): string {
  const off = -new Date(t).getTimezoneOffset();
  return `UTC${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/**
 * "23:30:05 UTC+01:00" today, "2026-12-08 03:30:00 UTC+01:00" on another day: a time said on its
 * own, local and marked. Where a command prints many times it marks the zone once instead.
 */
export function when(t: number | string | Date, now = Date.now()): string {
  const d = new Date(t);
  const today = localTime(now).slice(0, 10) === localTime(d).slice(0, 10);
  return `${today ? localClock(d) : localTime(d)} ${zoneName(d)}`;
}

/** An ISO time in UTC as the daemon stores and writes it (JSON, facts for `status`). */
const ISO_UTC = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;

/**
 * The same text with every UTC ISO time in it said locally and marked (`when`). The daemon
 * writes times as ISO (its zone may not be the reader's: a service runs in UTC); whatever a
 * person reads passes through here, so no "2026-12-08T02:30:00.000Z" reaches them.
 */
export function localizeTimes(text: string, now = Date.now()): string {
  return text.replace(ISO_UTC, (iso) => when(iso, now));
}

/** An ISO time for the daemon's facts, turned into local words by `localizeTimes` when read. */
export function isoTime(t: number | Date): string {
  return new Date(t).toISOString();
}

/**
 * How a job came to be, as a person says it; the same words as the dashboard's TRIGGER_WORDS in
 * src/web/public/dom.js (a test checks them equal).
 */
export const TRIGGER_WORDS = {
  watch: 'dropped into an inbox',
  schedule: 'a scheduled run',
  manual: 'run by hand',
  compile: 'writing a program from the rule\'s examples',
} as const satisfies Record<JobTrigger, string>;

/** What to call a job that has no file of its own: never "scheduled run" for one that was not. */
export const NO_FILE_WORDS = {
  watch: 'Dropped file',
  schedule: 'Scheduled run',
  manual: 'Run by hand',
  compile: 'Compile',
} as const satisfies Record<JobTrigger, string>;

export function triggerWords(trigger: JobTrigger, runner?: string | null, version?: number | null): string {
  const how = TRIGGER_WORDS[trigger] ?? trigger;
  return runner === 'program' ? `${how}, done by its learned program v${version ?? '?'}` : how;
}
