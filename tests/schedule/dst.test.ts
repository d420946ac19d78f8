/**
 * Daylight saving time, pinned: Europe/Paris springs forward on 2027-03-28 (02:00 → 03:00, so
 * 02:30 does not exist) and falls back on 2026-10-25 (03:00 → 02:00, so 02:30 happens twice).
 * A daily 02:30 job runs exactly once on each of those days, and the catch-up after a stop
 * agrees with the live timers (both are CronTime.next), which agree with node-cron's own walk
 * everywhere but in the spring gap, where node-cron would skip the day.
 */
import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { CronTime } from '../../src/schedule/cron-time.js';
import { missedFiring } from '../../src/schedule/missed.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Every firing in [from, to) as the live timers chain them. */
function firings(expr: string, tz: string, from: string, to: string): string[] {
  const time = new CronTime(expr, tz);
  const out: string[] = [];
  for (let t = time.next(at(from) - 1); t < at(to); t = time.next(t)) out.push(iso(t));
  return out;
}

/** node-cron's own next firing after an instant (the walk its scheduler fires by). */
function nodeCronNext(expr: string, tz: string, after: number): number {
  const task = cron.createTask(expr, () => undefined, { timezone: tz });
  const next = (task as unknown as { timeMatcher: { getNextMatch(d: Date): Date } }).timeMatcher.getNextMatch(new Date(after)).getTime();
  void task.destroy();
  return next;
}

describe('daylight saving time (Europe/Paris)', () => {
  it('spring forward: the 02:30 job runs once, at 03:00 when the clock jumps, where node-cron would skip the day', () => {
    expect(firings('30 2 * * *', 'Europe/Paris', '2027-03-27T00:00:00Z', '2027-03-30T00:00:00Z')).toEqual([
      '2027-03-27T01:30:00.000Z', // 02:30 CET
      '2027-03-28T01:00:00.000Z', // 03:00 CEST: the jump; 02:30 never happened
      '2027-03-29T00:30:00.000Z', // 02:30 CEST
    ]);
    expect(iso(nodeCronNext('30 2 * * *', 'Europe/Paris', at('2027-03-27T12:00:00Z')))).toBe('2027-03-29T00:30:00.000Z');
  });

  it('fall back: the 02:30 job runs once, at the instant node-cron picks', () => {
    const list = firings('30 2 * * *', 'Europe/Paris', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z');
    expect(list).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    expect(iso(nodeCronNext('30 2 * * *', 'Europe/Paris', at('2026-10-24T12:00:00Z')))).toBe(list[1]);
    // 00:30Z is also 02:30 local (the first pass); it is not a second firing.
    expect(new CronTime('30 2 * * *', 'Europe/Paris').next(at('2026-10-25T00:00:00Z'))).toBe(at('2026-10-25T01:30:00Z'));
  });

  it('an every-minute job fires once at the jump, not twice', () => {
    const spring = firings('* * * * *', 'Europe/Paris', '2027-03-28T00:58:00Z', '2027-03-28T01:02:00Z');
    expect(spring).toEqual(['2027-03-28T00:58:00.000Z', '2027-03-28T00:59:00.000Z', '2027-03-28T01:00:00.000Z', '2027-03-28T01:01:00.000Z']);
  });

  it('a 03:00 job is not moved by the gap, and a job outside it does not notice the change', () => {
    expect(firings('0 3 * * *', 'Europe/Paris', '2027-03-28T00:00:00Z', '2027-03-29T00:00:00Z')).toEqual(['2027-03-28T01:00:00.000Z']);
    expect(firings('0 9 * * *', 'Europe/Paris', '2027-03-27T00:00:00Z', '2027-03-29T00:00:00Z')).toEqual(['2027-03-27T08:00:00.000Z', '2027-03-28T07:00:00.000Z']);
  });

  it('agrees with node-cron on every firing of a month around each change, gap aside', () => {
    for (const [expr, start] of [['30 2 * * *', '2026-10-10T00:00:00Z'], ['15 */2 * * *', '2026-10-20T00:00:00Z'], ['0 8 * * MON', '2026-10-01T00:00:00Z'], ['30 2 * * *', '2027-03-10T00:00:00Z']] as const) {
      const time = new CronTime(expr, 'Europe/Paris');
      let t = at(start);
      for (let i = 0; i < 40; i++) {
        const ours = time.next(t);
        const theirs = nodeCronNext(expr, 'Europe/Paris', t);
        if (ours !== theirs) {
          // Only the spring gap's firing differs: ours at the jump, node-cron's a day later.
          expect(iso(ours), `${expr} after ${iso(t)}`).toBe('2027-03-28T01:00:00.000Z');
        }
        t = ours;
      }
    }
  });

  describe('catch-up after a stop agrees with the live timers', () => {
    it('spring: down across the gap, the missed 02:30 runs once at start; the next is the day after', () => {
      const missed = missedFiring('30 2 * * *', 'Europe/Paris', at('2027-03-27T22:00:00Z'), at('2027-03-28T06:00:00Z'));
      expect(missed?.toISOString()).toBe('2027-03-28T01:00:00.000Z');
      expect(iso(new CronTime('30 2 * * *', 'Europe/Paris').next(at('2027-03-28T06:00:00Z')))).toBe('2027-03-29T00:30:00.000Z');
    });

    it('fall: down between the two 02:30s, nothing is missed and the live timer fires once', () => {
      expect(missedFiring('30 2 * * *', 'Europe/Paris', at('2026-10-24T22:00:00Z'), at('2026-10-25T01:00:00Z'))).toBeUndefined();
      expect(iso(new CronTime('30 2 * * *', 'Europe/Paris').next(at('2026-10-25T01:00:00Z')))).toBe('2026-10-25T01:30:00.000Z');
      const missed = missedFiring('30 2 * * *', 'Europe/Paris', at('2026-10-24T22:00:00Z'), at('2026-10-25T05:00:00Z'));
      expect(missed?.toISOString()).toBe('2026-10-25T01:30:00.000Z');
      // Recorded as the last firing, it leaves nothing more to catch up that day.
      expect(missedFiring('30 2 * * *', 'Europe/Paris', at('2026-10-25T05:00:00Z'), at('2026-10-25T23:00:00Z'))).toBeUndefined();
    });
  });

  it('New York too: 02:30 on 2027-03-14 (a gap) runs at 03:00 EDT, once', () => {
    expect(firings('30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', '2027-03-15T12:00:00Z')).toEqual(['2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z']);
  });
});
