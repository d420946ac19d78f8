import cron, { type ScheduledTask } from 'node-cron';
import type { Daemon } from '../daemon.js';
import type { Rule } from '../rules/rule.js';
import { describeFiring, fireRule } from './fire.js';
import { missedFiring } from './missed.js';

/** What the store keeps per scheduled rule: the schedule it had and when it last fired. */
export interface ScheduleState {
  /** `schedule` and `timezone` together: a changed schedule starts afresh. */
  schedule: string;
  /** ms epoch of the last firing, or of the moment the schedule was first seen. */
  last: number;
}

export const stateKey = (rule: string): string => `schedule:${rule}`;
const scheduleOf = (rule: Rule): string => `${rule.schedule ?? ''}${rule.timezone ? ` (${rule.timezone})` : ''}`;

/**
 * One node-cron task per scheduled rule, re-made when the rule's schedule changes. The last
 * firing of each rule is kept in the store, so a firing missed while the daemon was down can
 * run once at the next start (`catch_up: true`).
 */
export class Scheduler {
  private readonly tasks = new Map<string, { schedule: string; task: ScheduledTask }>();
  private readonly firing = new Set<string>();

  constructor(private readonly daemon: Daemon) {}

  /** Catch up first, from the states as the last run left them; then schedule. */
  async start(now = Date.now()): Promise<void> {
    await this.catchUp(now);
    this.sync();
  }

  /** Makes the tasks fit the rules (after a reload). */
  sync(): void {
    const wanted = new Map(this.daemon.rules.filter((r) => r.schedule).map((r) => [r.name, r]));
    for (const [name, t] of this.tasks) {
      const rule = wanted.get(name);
      if (!rule || scheduleOf(rule) !== t.schedule) {
        void t.task.destroy();
        this.tasks.delete(name);
      }
    }
    for (const rule of wanted.values()) {
      if (this.tasks.has(rule.name)) continue;
      const schedule = scheduleOf(rule);
      const state = this.daemon.store.getState<ScheduleState>(stateKey(rule.name));
      if (state?.schedule !== schedule) this.daemon.store.setState(stateKey(rule.name), { schedule, last: Date.now() } satisfies ScheduleState);
      const task = cron.schedule(rule.schedule as string, (ctx) => this.fire(rule.name, ctx.date, false), {
        name: `dropwork:${rule.name}`,
        ...(rule.timezone ? { timezone: rule.timezone } : {}),
        logger: this.cronLogger(),
      });
      this.tasks.set(rule.name, { schedule, task });
    }
  }

  stop(): void {
    for (const t of this.tasks.values()) void t.task.destroy();
    this.tasks.clear();
  }

  status(): Record<string, unknown> {
    const next = [...this.tasks].map(([rule, t]) => ({ rule, at: t.task.getNextRun() })).filter((n) => n.at)
      .sort((a, b) => (a.at as Date).getTime() - (b.at as Date).getTime())[0];
    return { scheduled: this.tasks.size, ...(next ? { next: `${next.rule} at ${(next.at as Date).toISOString()}` } : {}) };
  }

  private async catchUp(now: number): Promise<void> {
    for (const rule of this.daemon.rules.filter((r) => r.schedule && r.catchUp)) {
      const state = this.daemon.store.getState<ScheduleState>(stateKey(rule.name));
      if (!state || state.schedule !== scheduleOf(rule)) continue;
      const missed = missedFiring(rule.schedule as string, rule.timezone, state.last, now);
      if (!missed) continue;
      this.daemon.log.info('a firing was missed while dropwork was down; running it now (catch_up: true)', { rule: rule.name, missed: missed.toISOString() });
      await this.fire(rule.name, missed, true);
    }
  }

  private async fire(name: string, due: Date, catchUp: boolean): Promise<void> {
    const rule = this.daemon.ruleSet.rules.get(name);
    if (!rule || this.firing.has(name)) return;
    this.firing.add(name);
    try {
      // Recorded first: a firing that was handled, even as a no-op, is not "missed".
      this.daemon.store.setState(stateKey(name), { schedule: scheduleOf(rule), last: Math.max(due.getTime(), Date.now()) } satisfies ScheduleState);
      const { level, msg, fields } = describeFiring(await fireRule(this.daemon, rule, { due, catchUp }));
      this.daemon.log[level](msg, { rule: name, due: due.toISOString(), ...fields });
    } catch (err) {
      this.daemon.log.error('a scheduled firing failed', { rule: name, error: String(err) });
    } finally {
      this.firing.delete(name);
    }
  }

  private cronLogger(): { info(m: string): void; warn(m: string): void; error(m: string | Error): void; debug(m: string | Error): void } {
    const log = this.daemon.log;
    return { info: (m) => log.debug(m), warn: (m) => log.warn(`schedule: ${m}`), error: (m) => log.error(`schedule: ${String(m)}`), debug: () => undefined };
  }
}
