import type { Config } from '../config.js';
import type { Daemon } from '../daemon.js';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import type { JobRow } from '../queue/status.js';
import type { Rule } from '../rules/rule.js';
import { BackendUnavailable, NodeNotifierBackend, type Notice, type NotificationBackend } from './backend.js';
import { failureKey, noticesFor, waitKey, type JobLink } from './notices.js';

export interface NotifierDeps {
  events: Events;
  log: Logger;
  config: () => Config;
  rules: () => Map<string, Rule>;
  /** Jobs of the rule still queued (due now) or running: a burst is not over while there are some. */
  activeJobs: (rule: string) => number;
  backend: NotificationBackend;
  link?: JobLink;
}

export interface NotifierTiming {
  /** A burst's notices go out this long after its first event. @default 3000 */
  windowMs: number;
  /**
   * A burst lasts until the rule's queue drains, so that 40 receipts make one notice even when
   * the agent takes minutes over them; but never longer than this. @default 120000
   */
  maxHoldMs: number;
}

interface Burst {
  succeeded: JobRow[];
  failed: JobRow[];
  waiting: JobRow[];
  /** Failure reasons and kinds of wait already told in this burst (see flush). */
  told: Set<string>;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Tells the person at the desk what happened, without flooding them: finished jobs are
 * gathered per rule for a short window and announced together (noticesFor). A backend that
 * is missing or broken is logged once; sending never throws into the pipeline.
 */
export class Notifier {
  private readonly bursts = new Map<string, Burst>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timing: NotifierTiming;
  private broken: string | undefined;
  private inFlight = new Set<Promise<void>>();
  sent = 0;

  constructor(private readonly deps: NotifierDeps, timing: Partial<NotifierTiming> = {}) {
    this.timing = { windowMs: 3000, maxHoldMs: 120_000, ...timing };
  }

  start(): void {
    const { events } = this.deps;
    this.unsubscribe.push(
      events.on('job:succeeded', (job) => this.add(job, 'succeeded')),
      events.on('job:failed', (job) => this.add(job, 'failed')),
      events.on('job:waiting', (job) => this.add(job, 'waiting')),
    );
  }

  /** Announces what is pending at once (the daemon is stopping) and waits for the sends. */
  async stop(): Promise<void> {
    for (const fn of this.unsubscribe.splice(0)) fn();
    for (const rule of [...this.bursts.keys()]) this.flush(rule, true);
    // A notification server that never answers holds notify-send for D-Bus's 25 s timeout;
    // shutting down must not wait on it.
    let timer: NodeJS.Timeout | undefined;
    const enough = new Promise<void>((resolve) => { timer = setTimeout(resolve, 2000); });
    await Promise.race([Promise.allSettled([...this.inFlight]), enough]);
    clearTimeout(timer);
  }

  status(): Record<string, unknown> {
    if (!this.deps.config().notify) return { on: false };
    return { backend: this.deps.backend.name, sent: this.sent, ...(this.broken ? { problem: this.broken } : {}) };
  }

  private add(job: JobRow, outcome: 'succeeded' | 'failed' | 'waiting'): void {
    if (!this.deps.config().notify) return;
    const setting = this.deps.rules().get(job.rule)?.notify ?? 'always';
    if (setting === 'never' || (setting === 'failures' && outcome === 'succeeded')) return;
    let burst = this.bursts.get(job.rule);
    if (!burst) {
      burst = { succeeded: [], failed: [], waiting: [], told: new Set(), startedAt: Date.now(), timer: undefined };
      this.bursts.set(job.rule, burst);
    }
    burst[outcome].push(job);
    if (!burst.timer) {
      burst.timer = setTimeout(() => this.flush(job.rule, false), this.timing.windowMs);
      burst.timer.unref();
    }
  }

  /**
   * Every window: a failure reason (or kind of wait) new to this burst is told at once; more
   * jobs failing for a reason already told are held, like successes, until the burst is over
   * (the rule's queue has drained, or maxHoldMs), and then told as "N more". A rejected key
   * failing 40 receipts one by one is two notices, not forty.
   */
  private flush(rule: string, now: boolean): void {
    const burst = this.bursts.get(rule);
    if (!burst) return;
    clearTimeout(burst.timer);
    burst.timer = undefined;
    const over = now || Date.now() - burst.startedAt >= this.timing.maxHoldMs || this.deps.activeJobs(rule) === 0;
    const told = new Set(burst.told);
    const fKey = (j: JobRow): string => `f:${failureKey(j)}`;
    const wKey = (j: JobRow): string => `w:${waitKey(j)}`;
    const fresh = { failed: burst.failed.filter((j) => !told.has(fKey(j))), waiting: burst.waiting.filter((j) => !told.has(wKey(j))) };
    for (const j of fresh.failed) burst.told.add(fKey(j));
    for (const j of fresh.waiting) burst.told.add(wKey(j));
    const batch = over
      ? { succeeded: burst.succeeded, failed: burst.failed, waiting: burst.waiting }
      : { succeeded: [], failed: fresh.failed, waiting: fresh.waiting };
    if (over) {
      this.bursts.delete(rule);
    } else {
      burst.failed = burst.failed.filter((j) => !fresh.failed.includes(j));
      burst.waiting = burst.waiting.filter((j) => !fresh.waiting.includes(j));
      burst.timer = setTimeout(() => this.flush(rule, false), this.timing.windowMs);
      burst.timer.unref();
    }
    for (const notice of noticesFor(this.deps.rules().get(rule), rule, batch, this.deps.link, told)) this.send(notice);
  }

  private send(notice: Notice): void {
    const sending = this.deps.backend.send(notice).then(
      () => {
        this.sent++;
        if (this.broken) this.deps.log.info('desktop notifications work again');
        this.broken = undefined;
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        // Once per outage: a desktop without notifications must not fill the log either.
        if (this.broken === undefined) {
          const fix = err instanceof BackendUnavailable ? err.fix : undefined;
          this.deps.log.warn('desktop notifications are not working; jobs go on without them', { backend: this.deps.backend.name, reason: message, ...(fix ? { fix } : {}) });
        }
        this.broken = message;
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }
}

/** The notifier wired to a daemon: its events, its log, its store for the burst's end. */
export function createNotifier(daemon: Daemon, backend: NotificationBackend = daemonBackend(daemon), timing: Partial<NotifierTiming> = {}, link?: JobLink): Notifier {
  const active = daemon.store.db.prepare("SELECT count(*) AS n FROM jobs WHERE rule = ? AND status IN ('queued', 'running') AND run_at <= ?");
  return new Notifier({
    events: daemon.events,
    log: daemon.log,
    config: () => daemon.config,
    rules: () => daemon.ruleSet.rules,
    activeJobs: (rule) => (active.get(rule, Date.now()) as { n: number }).n,
    backend,
    ...(link ? { link } : {}),
  }, timing);
}

/** The platform's backend, telling the daemon's log when macOS needs a fallback notifier. */
function daemonBackend(daemon: Daemon): NotificationBackend {
  return new NodeNotifierBackend(process.env, process.platform, {
    onFallback: (why, now) => daemon.log.warn('the notifier shipped with node-notifier cannot run here; using another', { why, now }),
  });
}
