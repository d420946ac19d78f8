/** missedFiring against node-cron's own idea of the next run, across zones and field shapes. */
import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { missedFiring } from '../../src/schedule/missed.js';

const DAY = 86_400_000;

const CASES: [string, string | undefined, number][] = [
  ['0 8 * * MON', 'Europe/Paris', 8 * DAY],
  ['30 2 * * *', 'Asia/Kolkata', 2 * DAY],
  ['45 23 * * 0', 'America/St_Johns', 8 * DAY],
  ['*/7 * * * * *', undefined, 60_000],
  ['0 0 L * *', 'UTC', 32 * DAY],
  ['0 12 1 1 *', 'Pacific/Auckland', 370 * DAY],
  ['15 9 * * 1-5', undefined, 4 * DAY],
];

describe('the firing a stopped daemon missed', () => {
  it.each(CASES)('"%s" in %s: the same time node-cron would fire next', (expr, tz, window) => {
    const task = cron.createTask(expr, () => undefined, tz ? { timezone: tz } : {});
    const now = Date.now();
    const [expected] = task.getNextRuns(1);
    void task.destroy();
    expect(expected).toBeDefined();
    const found = missedFiring(expr, tz, now, now + window);
    expect(found?.toISOString()).toBe(expected?.toISOString());
  });

  it('finds nothing when no firing falls in the window, and never the start itself', () => {
    const task = cron.createTask('0 8 * * MON', () => undefined, { timezone: 'Europe/Paris' });
    const next = (task.getNextRuns(1)[0] as Date).getTime();
    void task.destroy();
    expect(missedFiring('0 8 * * MON', 'Europe/Paris', next - DAY, next - 1000)).toBeUndefined();
    expect(missedFiring('0 8 * * MON', 'Europe/Paris', next, next + 6 * DAY)).toBeUndefined();
    expect(missedFiring('0 8 * * MON', 'Europe/Paris', next - 1000, next)?.getTime()).toBe(next);
  });

  it('answers a year of absence quickly', () => {
    const start = performance.now();
    const now = Date.now();
    expect(missedFiring('0 12 29 2 *', 'UTC', now - 365 * DAY, now - 364 * DAY)).toBeUndefined();
    missedFiring('0 12 25 12 *', 'Europe/Paris', now - 365 * DAY, now);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
