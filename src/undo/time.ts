/**
 * The time window of `rules revert --since … --until …`, the dashboard's "revert since" box and
 * POST /api/rules/NAME/revert: one parser for all three, so a form one accepts the others do too.
 *
 * A bare number is refused: `--since 5` was read as the year 2005 (Date.parse) and planned to
 * revert every job the rule ever ran. Each form says which moment it is; the window is shown, in
 * local time and marked, before anything is reverted.
 */
import { localTime, zoneName } from '../human.js';

/** What people type, for the error messages. */
export const WHEN_FORMS = '"30m", "2h", "1h30m", "2d", "today", "yesterday", "monday", "last week", "14:00" or "2026-11-30 14:00"';

const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
/** The words for each unit people write out ("2 hours", "90 min"). */
const UNIT_WORDS: Record<string, string> = {
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
  w: 'w', wk: 'w', wks: 'w', week: 'w', weeks: 'w',
};
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export type When = { ok: true; at: number } | { ok: false; why: string };

const refuse = (why: string): When => ({ ok: false, why });
const at = (t: number): When => ({ ok: true, at: t });

function startOfDay(now: Date, daysBack: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - daysBack);
  return d.getTime();
}

/** "1h30m", "90m", "2 days", "1 week ago": a span back from now; undefined when not one. */
function span(text: string): number | undefined {
  const body = text.replace(/\s*ago$/, '');
  if (!/^(\d+(\.\d+)?\s*[a-z]+\s*)+$/.test(body)) return undefined;
  let ms = 0;
  for (const p of body.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)) {
    const unit = UNIT_WORDS[p[2] as string];
    if (!unit) return undefined;
    ms += Number(p[1]) * (UNIT_MS[unit] as number);
  }
  return ms;
}

/** A point in time as a person types it; `now` is the moment the window ends by default. */
export function parseWhen(raw: string, now: Date = new Date()): When {
  const text = raw.trim().toLowerCase().replace(/\s+/g, ' ');
  if (!text) return refuse(`say a time: ${WHEN_FORMS}`);
  if (/^\d+(\.\d+)?$/.test(text)) return refuse(`"${raw.trim()}" what? try ${text}m, ${text}h or ${text}d (minutes, hours or days ago), or a date such as 2026-11-30`);
  if (text === 'now') return at(now.getTime());
  if (text === 'today') return at(startOfDay(now, 0));
  if (text === 'yesterday') return at(startOfDay(now, 1));
  // The past seven days, as "last week" is said; the window shown says exactly which.
  if (text === 'last week' || text === 'a week ago') return at(now.getTime() - UNIT_MS.w!);
  const weekday = /^(last )?(sun|mon|tue|tues|wed|thu|thur|thurs|fri|sat)[a-z]*$/.exec(text);
  if (weekday) {
    const day = WEEKDAYS.findIndex((d) => d.startsWith(weekday[2] as string));
    if (day >= 0 && WEEKDAYS[day]!.startsWith(text.replace(/^last /, ''))) {
      // The last one: today when today is that day, unless "last monday" asks for the one before.
      let back = (now.getDay() - day + 7) % 7;
      if (back === 0 && weekday[1]) back = 7;
      return at(startOfDay(now, back));
    }
  }
  const ago = span(text);
  if (ago !== undefined) return at(now.getTime() - ago);
  const clock = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (clock) {
    const d = new Date(now);
    d.setHours(Number(clock[1]), Number(clock[2]), 0, 0);
    if (Number(clock[1]) > 23 || Number(clock[2]) > 59) return refuse(`"${raw.trim()}" is not a time of day: try ${WHEN_FORMS}`);
    return at(d.getTime());
  }
  // A date, or a date and time without a zone: local time, as everything a person reads.
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [number, number, number, number, number, number];
    const t = new Date(y, mo - 1, d, h, mi, s);
    if (t.getMonth() !== mo - 1 || t.getDate() !== d || h > 23 || mi > 59 || s > 59) return refuse(`"${raw.trim()}" is not a date: try ${WHEN_FORMS}`);
    return at(t.getTime());
  }
  // An ISO time with its zone (Z or +01:00) means that moment; nothing looser is guessed at.
  if (/^\d{4}-\d{2}-\d{2}t\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const t = Date.parse(raw.trim());
    if (!Number.isNaN(t)) return at(t);
  }
  return refuse(`"${raw.trim()}" is not a time: try ${WHEN_FORMS}`);
}

export interface Window {
  since: number;
  until: number;
}

/** `--since` and `--until` (default now) as a window, or why not. */
export function parseWindow(rawSince: string | undefined, rawUntil: string | undefined, now: Date = new Date()): { ok: true; window: Window } | { ok: false; why: string } {
  if (!rawSince?.trim()) return { ok: false, why: `say from when: ${WHEN_FORMS}` };
  const since = parseWhen(rawSince, now);
  if (!since.ok) return { ok: false, why: `since: ${since.why}` };
  const until = rawUntil === undefined || rawUntil.trim() === '' ? at(now.getTime()) : parseWhen(rawUntil, now);
  if (!until.ok) return { ok: false, why: `until: ${until.why}` };
  if (since.at > now.getTime()) return { ok: false, why: `since ${localTime(since.at)} (${zoneName(since.at)}) is in the future` };
  if (since.at >= until.at) return { ok: false, why: `the window is empty: since ${localTime(since.at)} is not before until ${localTime(until.at)} (${zoneName(until.at)})` };
  return { ok: true, window: { since: since.at, until: until.at } };
}

/** "from 2026-12-07 21:40:00 to 2026-12-07 22:40:00 (local time, UTC+01:00)" */
export function describeWindow(w: Window): string {
  const zones = zoneName(w.since) === zoneName(w.until) ? zoneName(w.until) : `${zoneName(w.since)} to ${zoneName(w.until)}`;
  return `from ${localTime(w.since)} to ${localTime(w.until)} (local time, ${zones})`;
}

/** The window for JSON: UTC ISO times (which the API takes back as they are) and the sentence. */
export function windowView(w: Window): { since: string; until: string; text: string } {
  return { since: new Date(w.since).toISOString(), until: new Date(w.until).toISOString(), text: describeWindow(w) };
}
