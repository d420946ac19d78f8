/**
 * When a cron expression fires next, after any instant: the one function that both the live
 * timers and the catch-up at start-up use, so they cannot disagree.
 *
 * node-cron's own walk (its TimeMatcher.getNextMatch, which its scheduler fires by) decides,
 * with one exception across daylight saving time:
 * - An autumn overlap (Europe/Paris 2026-10-25 02:30 happens twice): node-cron picks one of
 *   the two instants, so a daily 02:30 job runs once. Kept as it is.
 * - A spring gap (2027-03-28 02:30 does not exist in Paris): node-cron finds no instant and
 *   skips the day, so a daily 02:30 job would not run at all. Here a firing whose wall-clock
 *   time falls in the skipped hour happens at the jump itself (03:00 local), once, as Vixie
 *   cron and systemd timers do.
 */
import cron from 'node-cron';

interface Matcher {
  getNextMatch(date: Date): Date;
}

const HOUR = 3_600_000;
/** Offsets are sampled this far apart to find a jump; zones change at most a few times a year. */
const SAMPLE = 6 * HOUR;

function matcherOf(task: unknown): Matcher {
  const m = (task as { timeMatcher?: Partial<Matcher> }).timeMatcher;
  // node-cron's types do not list it; a test fails at once if an upgrade renames it.
  if (typeof m?.getNextMatch !== 'function') throw new Error('node-cron no longer has TimeMatcher.getNextMatch: src/schedule/cron-time.ts needs updating');
  return m as Matcher;
}

export class CronTime {
  private readonly zoned: Matcher;
  /** The same expression read in UTC: wall-clock times as if there were no zone. */
  private readonly wall: Matcher;
  private readonly offsetAt: (at: number) => number;

  constructor(expression: string, timezone?: string) {
    const zonedTask = cron.createTask(expression, () => undefined, timezone ? { timezone } : {});
    const wallTask = cron.createTask(expression, () => undefined, { timezone: 'UTC' });
    this.zoned = matcherOf(zonedTask);
    this.wall = matcherOf(wallTask);
    // Never started; destroyed so that node-cron's registry lets go of them.
    void zonedTask.destroy();
    void wallTask.destroy();
    this.offsetAt = offsetFinder(timezone);
  }

  /** The first firing strictly after `after` (ms epoch). */
  next(after: number): number {
    const regular = this.zoned.getNextMatch(new Date(after)).getTime();
    const gap = this.gapFiring(after, regular);
    return gap ?? regular;
  }

  /** The first jump forward of the clock in (after, before) that skips a time this expression names. */
  private gapFiring(after: number, before: number): number | undefined {
    // Whole seconds throughout: clocks change on a second, and the search below halves seconds.
    let t = Math.floor(after / 1000) * 1000;
    let offset = this.offsetAt(t);
    while (t < before) {
      const u = Math.min(t + SAMPLE, before);
      const next = this.offsetAt(u);
      if (next > offset) {
        const jump = this.findJump(t, u, offset);
        // Wall-clock times from jump+offset up to jump+next were skipped.
        const hit = this.wall.getNextMatch(new Date(jump + offset - 1000)).getTime();
        if (jump > after && hit < jump + next) return jump;
      }
      t = u;
      offset = next;
    }
    return undefined;
  }

  /** The first second in (lo, hi] whose offset differs from `before`. */
  private findJump(lo: number, hi: number, before: number): number {
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (this.offsetAt(mid) === before) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}

/** Local time minus UTC at an instant, in ms, for an IANA zone (or this machine's zone). */
export function offsetFinder(timezone: string | undefined): (at: number) => number {
  if (!timezone) return (at) => -new Date(at).getTimezoneOffset() * 60_000;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return (at) => {
    const parts = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, Number(p.value)]));
    const asUtc = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
    return asUtc - Math.floor(at / 1000) * 1000;
  };
}
