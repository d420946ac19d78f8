/**
 * The one parser of a revert's window (CLI, dashboard box, API): what people type is read as
 * they mean it, a bare number is refused instead of read as a year (`--since 5` was 2005).
 */
import { describe, expect, it } from 'vitest';
import { describeWindow, parseWhen, parseWindow } from '../../src/undo/time.js';

// Wednesday 9 December 2026, 15:45:30 local time.
const NOW = new Date(2026, 11, 9, 15, 45, 30);
const ago = (ms: number): number => NOW.getTime() - ms;
const local = (...a: [number, number, number, number?, number?]): number => new Date(a[0], a[1], a[2], a[3] ?? 0, a[4] ?? 0).getTime();
const when = (raw: string): number | string => {
  const w = parseWhen(raw, NOW);
  return w.ok ? w.at : w.why;
};

describe('parseWhen', () => {
  it('refuses a bare number, saying which units it could mean', () => {
    for (const raw of ['5', '1', '2026', ' 90 ']) {
      const w = when(raw);
      expect(typeof w).toBe('string');
      expect(w).toContain(`"${raw.trim()}" what? try ${raw.trim()}m, ${raw.trim()}h or ${raw.trim()}d`);
    }
  });

  it('reads spans back from now, alone and combined', () => {
    expect(when('90m')).toBe(ago(90 * 60e3));
    expect(when('1h30m')).toBe(ago(90 * 60e3));
    expect(when('1h 30m')).toBe(ago(90 * 60e3));
    expect(when('2d')).toBe(ago(2 * 86400e3));
    expect(when('3 hours ago')).toBe(ago(3 * 3600e3));
    expect(when('1w')).toBe(ago(7 * 86400e3));
    expect(when('45s')).toBe(ago(45e3));
  });

  it('reads the days people name: today, yesterday, a weekday (the last one), last week', () => {
    expect(when('today')).toBe(local(2026, 11, 9));
    expect(when('yesterday')).toBe(local(2026, 11, 8));
    expect(when('monday')).toBe(local(2026, 11, 7));
    expect(when('Mon')).toBe(local(2026, 11, 7));
    expect(when('wednesday')).toBe(local(2026, 11, 9));
    expect(when('last wednesday')).toBe(local(2026, 11, 2));
    expect(when('thursday')).toBe(local(2026, 11, 3));
    expect(when('last week')).toBe(ago(7 * 86400e3));
    expect(when('now')).toBe(NOW.getTime());
  });

  it('reads dates and times: local without a zone, the very moment with one', () => {
    expect(when('2026-11-30')).toBe(local(2026, 10, 30));
    expect(when('2026-11-30 14:00')).toBe(local(2026, 10, 30, 14, 0));
    expect(when('2026-11-30T14:00')).toBe(local(2026, 10, 30, 14, 0));
    expect(when('14:00')).toBe(local(2026, 11, 9, 14, 0));
    expect(when('2026-11-30T14:00:00Z')).toBe(Date.UTC(2026, 10, 30, 14));
    expect(when('2026-11-30T14:00:00.250+01:00')).toBe(Date.UTC(2026, 10, 30, 13, 0, 0, 250));
  });

  it('refuses what it cannot read, with the forms it takes', () => {
    for (const raw of ['soon', '5 parsecs', '2026-02-30', '25:00', 'mondays', '1h30', 'Dec 5']) {
      expect(when(raw), raw).toEqual(expect.stringContaining('"30m", "2h", "1h30m"'));
    }
  });
});

describe('parseWindow', () => {
  it('says the window it read, in local time and marked', () => {
    const r = parseWindow('1h30m', undefined, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.window).toEqual({ since: ago(90 * 60e3), until: NOW.getTime() });
    expect(describeWindow(r.window)).toMatch(/^from 2026-12-09 14:15:30 to 2026-12-09 15:45:30 \(local time, UTC[+-]\d\d:\d\d\)$/);
  });

  it('refuses an empty window, one in the future, and a missing since', () => {
    expect(parseWindow('1h', '2h', NOW)).toMatchObject({ ok: false, why: expect.stringContaining('the window is empty') });
    expect(parseWindow('2027-01-01', undefined, NOW)).toMatchObject({ ok: false, why: expect.stringContaining('is in the future') });
    expect(parseWindow(undefined, undefined, NOW)).toMatchObject({ ok: false, why: expect.stringContaining('say from when') });
    expect(parseWindow('5', undefined, NOW)).toMatchObject({ ok: false, why: expect.stringContaining('since: "5" what?') });
  });
});
