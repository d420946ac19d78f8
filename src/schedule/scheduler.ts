import type { Daemon } from '../daemon.js';
import type { Rule } from '../rules/rule.js';
import { describeFiring, fireRule } from './fire.js';
import { CronTime } from './cron-time.js';
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

/** setTimeout's longest delay; a later firing is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Task {
  schedule: string;
  time: CronTime;
  timer: NodeJS.Timeout | undefined;
  /** The firing the timer waits for (ms epoch). */
  due: number;
}

/**
 * One timer per scheduled rule, armed for the rule's next firing as CronTime computes it (the
 * same function the catch-up uses, so both agree across daylight saving time), re-made when
 * the rule's schedule changes. The last firing of each rule is kept in the store, so a firing
 * missed while the daemon was down can run once at the next start (`catch_up: true`).
 */
export class Scheduler {
  private readonly tasks = new Map<string, Task>();
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
        clearTimeout(t.timer);
        this.tasks.delete(name);
      }
    }
    for (const rule of wanted.values()) {
      if (this.tasks.has(rule.name)) continue;
      const schedule = scheduleOf(rule);
      const state = this.daemon.store.getState<ScheduleState>(stateKey(rule.name));
      if (state?.schedule !== schedule) this.daemon.store.setState(stateKey(rule.name), { schedule, last: Date.now() } satisfies ScheduleState);
      let time: CronTime;
      try {
        time = new CronTime(rule.schedule as string, rule.timezone);
      } catch (err) {
        this.daemon.log.error('schedule: cannot work out when this rule fires', { rule: rule.name, error: String(err) });
        continue;
      }
      const task: Task = { schedule, time, timer: undefined, due: time.next(Date.now()) };
      this.tasks.set(rule.name, task);
      this.arm(rule.name, task);
    }
  }

  stop(): void {
    for (const t of this.tasks.values()) clearTimeout(t.timer);
    this.tasks.clear();
  }

  status(): Record<string, unknown> {
    const next = [...this.tasks].map(([rule, t]) => ({ rule, at: t.due })).sort((a, b) => a.at - b.at)[0];
    return { scheduled: this.tasks.size, ...(next ? { next: `${next.rule} at ${new Date(next.at).toISOString()}` } : {}) };
  }

  /** Waits for the task's firing; then fires it and waits for the one after. */
  private arm(name: string, task: Task): void {
    task.timer = setTimeout(() => {
      if (this.tasks.get(name) !== task) return;
      const now = Date.now();
      // A timer may wake a little early (or a long wait was cut into steps): wait again.
      if (now < task.due) return this.arm(name, task);
      const due = task.due;
      // From now, not from `due`: after a machine's sleep the firings slept through are not
      // run one after another (the catch-up is for a daemon that was stopped).
      task.due = task.time.next(Math.max(due, now));
      this.arm(name, task);
      void this.fire(name, new Date(due), false);
    }, Math.min(Math.max(0, task.due - Date.now()), MAX_TIMER_MS));
    task.timer.unref();
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
}
