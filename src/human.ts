/**
 * How dropwork says statuses and times to a person in the terminal: the same words as the
 * dashboard (its STATUS_LABEL in src/web/public/dom.js, checked equal by a test, since the
 * page's JavaScript cannot import this file) and local time, as the dashboard shows it.
 * `--json` keeps the stable status names and UTC ISO times.
 */
import type { JobStatus } from './queue/status.js';

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
