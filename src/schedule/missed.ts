import { CronTime } from './cron-time.js';

const HOUR = 3_600_000;
/** Down longer than this, a schedule that fires at all has surely been missed; look no further back. */
const LOOKBACK = 400 * 24 * HOUR;

/**
 * The first time after `after` (up to `until`) at which the cron expression fires, in its time
 * zone: the firing a stopped daemon missed. The same function as the live timers use
 * (CronTime.next), so catch-up and firing agree, across daylight saving time too.
 */
export function missedFiring(expression: string, timezone: string | undefined, after: number, until: number): Date | undefined {
  const from = Math.max(after, until - LOOKBACK);
  const at = new CronTime(expression, timezone).next(from);
  return at <= until ? new Date(at) : undefined;
}
