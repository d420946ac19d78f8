import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { coerceError, errorMessage, SkipJob, StoreUnavailable, TransientError, WaitJob } from '../errors.js';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import type { Paths } from '../paths.js';
import { redact } from '../redact.js';
import type { JobContext } from '../run/context.js';
import { executeJob, jobDir, type Outcome } from '../run/execute.js';
import { discardJobFolder, jobFoldersDiscarded } from '../run/job-folder.js';
import type { Rule } from '../rules/rule.js';
import { localJob } from '../team/travel.js';
import { saveJournal, type Change } from '../undo/journal.js';
import { blobsFor } from '../undo/revert.js';
import { backoffMs } from './backoff.js';
import { PendingSteps } from './step-log.js';
import { WAIT_FOREVER, type JobRow } from './status.js';
import type { Store } from './store.js';

export interface WorkerDeps {
  store: Store;
  config: () => Config;
  rules: () => Map<string, Rule>;
  paths: Paths;
  events: Events;
  log: Logger;
  /** Rules whose jobs must not start now (e.g. agent rules while the API is down). */
  paused?: () => string[];
  /**
   * True while a burst of files is still being queued: meanwhile one job runs at a time, so
   * the queueing, which shares this thread, is not slowed to the pace of the jobs.
   */
  queueing?: () => boolean;
  /** How often to look for jobs added by other processes (the CLI). @default 500 */
  pollMs?: number;
  execute?: (ctx: JobContext) => Promise<Outcome>;
  /** This host's name, on a team's shared database: worker ids and leases carry it. */
  host?: string;
}

/**
 * Claims queued jobs up to the global and per-rule limits and runs them. All state lives in the
 * store, so a worker can die at any point and the next one picks up where it left off.
 */
export class Worker {
  readonly id: string;
  private readonly running = new Map<number, { rule: string; controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private cancelWatch: NodeJS.Timeout | undefined;
  private accepting = false;
  private endGrace: (() => void) | undefined;

  constructor(private readonly deps: WorkerDeps) {
    const own = `worker-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.id = deps.host ? `${deps.host}/${own}` : own;
  }

  start(): void {
    this.accepting = true;
    // Cancellation from the CLI arrives through the database; look for it now and then.
    this.cancelWatch = setInterval(() => this.abortCancelled(), 500);
    this.cancelWatch.unref();
    this.wake();
  }

  /** Look for work now (after an enqueue) instead of at the next poll. */
  wake(): void {
    if (!this.accepting || this.soon) return;
    // setImmediate, not setTimeout(0): a timer waits at least 1 ms, which held no-op jobs to
    // ~600/s (scripts/bench/pipeline.mjs).
    this.soon = setImmediate(() => {
      this.soon = undefined;
      this.fill();
    });
  }

  get busy(): number {
    return this.running.size;
  }

  private fill(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.accepting) return;
    try {
      this.claimWhatFits();
    } catch (err) {
      // A team's database is down: take nothing until it answers (the poll tries again).
      if (!(err instanceof StoreUnavailable)) throw err;
      this.timer = setTimeout(() => this.fill(), 1000);
    }
  }

  private claimWhatFits(): void {
    const { store } = this.deps;
    const limit = this.deps.queueing?.() ? 1 : this.deps.config().concurrency;
    while (this.running.size < limit) {
      const job = store.claim(this.id, this.excluded());
      if (!job) break;
      this.begin(job);
    }
    const next = store.nextRunAt();
    const poll = this.deps.pollMs ?? 500;
    // A job that is due but could not be claimed waits for a free slot or an unpause, and both
    // wake the worker: re-polling at 0 ms for it spun at ~11% CPU behind one long job.
    const now = Date.now();
    const delay = next === undefined || next <= now ? poll : Math.min(poll, next - now);
    this.timer = setTimeout(() => this.fill(), delay);
  }

  /**
   * Rules at their own concurrency limit, and paused ones. Counted from the jobs this worker is
   * running, not asked of the store (a query per claim): a job cancelled from the CLI holds its
   * slot until it has stopped.
   */
  private excluded(): string[] {
    const rules = this.deps.rules();
    const out = [...(this.deps.paused?.() ?? [])];
    const perRule = new Map<string, number>();
    for (const r of this.running.values()) perRule.set(r.rule, (perRule.get(r.rule) ?? 0) + 1);
    for (const [name, n] of perRule) {
      if (n >= (rules.get(name)?.concurrency ?? 1)) out.push(name);
    }
    return out;
  }

  private begin(job: JobRow): void {
    const controller = new AbortController();
    const done = this.runOne(job, controller.signal)
      .catch((err: unknown) => this.deps.log.error('worker failure', { job: job.id, error: String(err) }))
      .finally(() => {
        this.running.delete(job.id);
        this.wake();
      });
    this.running.set(job.id, { rule: job.rule, controller, done });
  }

  private async runOne(job: JobRow, signal: AbortSignal): Promise<void> {
    const { store, events, log, paths } = this.deps;
    const rule = this.deps.rules().get(job.rule);
    events.emit('job:started', job);
    const steps = new PendingSteps(store, job.id);
    if (!rule) {
      this.settle(job, steps, 'failed', `the rule "${job.rule}" no longer exists`);
      return;
    }
    let local: ReturnType<typeof localJob>;
    try {
      local = localJob(store, paths.jobsDir, job, this.deps.host, rule, this.deps.config().role);
    } catch (err) {
      // The row names a file this host will not read: nothing is read, the job fails saying why.
      log.warn('refused a job: its file did not travel with it and is not in this host\'s inboxes', { job: job.id, rule: job.rule, error: errorMessage(err) });
      steps.add('failed', errorMessage(err));
      this.settle(job, steps, 'failed', errorMessage(err), { last_error: errorMessage(err) });
      return;
    }
    let settled: JobRow | undefined;
    const ctx: JobContext = {
      job: local.job, rule, config: this.deps.config(), paths, store, log, signal,
      ...(local.elsewhere ? { originalOn: local.elsewhere } : {}),
      workdir: jobDir(paths.jobsDir, job.id),
      stillMine: () => store.stillHolds(job.id, this.id),
      step: (kind, message, data) => {
        steps.add(kind, redact(message), data);
        events.emit('job:step', job.id, kind, message);
      },
    };
    ctx.step('started', `attempt ${job.attempts}`);
    try {
      const execute = this.deps.execute ?? executeJob;
      const outcome = await execute(ctx);
      if (outcome.status === 'waiting') {
        settled = await this.settleSurely(() => this.settle(job, steps, 'waiting', outcome.reason, { payload: outcome.payload, run_at: WAIT_FOREVER }));
      } else {
        settled = await this.settleSurely(() => this.settle(job, steps, 'succeeded', outcome.reason ?? null, { outputs: JSON.stringify(outcome.outputs) }, outcome.changes));
      }
    } catch (raw) {
      settled = await this.settleSurely(() => this.failed(job, steps, ctx, raw));
    } finally {
      // Held jobs keep their staged outputs for approval; every other end discards them.
      try {
        steps.flush(); // nothing is left unless settling itself threw
        if ((settled ?? store.get(job.id))?.status !== 'waiting') discardJobFolder(ctx.workdir);
        // A copy kept for a job queued here (`dropwork run` of a file outside the inboxes) is let
        // go once the job succeeded (a failed one may be retried, and runs from it again); a copy
        // from another host is let go by that host (team/tidy.ts).
        if (local.folder && !local.elsewhere && settled?.status === 'succeeded') store.letGoOfFile(job.id);
      } catch (err) {
        // A team's database is down: the folder stays; the next attempt starts by emptying it.
        if (!(err instanceof StoreUnavailable)) throw err;
      }
      if (local.folder) discardJobFolder(local.folder);
    }
  }

  /**
   * Records a job's end, waiting out a team's database being down: what the job did (its
   * outputs are published) must reach the history, or the job would run again elsewhere. If the
   * outage outlasts the lease, another host may take the job back first; then the guarded move
   * refuses this one's word and the job runs again there.
   */
  private async settleSurely(record: () => JobRow | undefined): Promise<JobRow | undefined> {
    for (;;) {
      try {
        return record();
      } catch (err) {
        // Kept trying while the daemon runs: the job stays in this worker's hands (its lease is
        // renewed with the heartbeat once the database answers), so it is not run twice.
        if (!(err instanceof StoreUnavailable) || !this.accepting) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** The jobs this worker runs now (their leases are renewed with the heartbeat). */
  runningIds(): number[] {
    return [...this.running.keys()];
  }

  /** Ends a job that threw; returns its row as it now is (undefined when someone else moved it). */
  private failed(job: JobRow, steps: PendingSteps, ctx: JobContext, raw: unknown): JobRow | undefined {
    const err = coerceError(raw);
    const message = redact(err.message);
    if (err instanceof SkipJob) return this.settle(job, steps, 'skipped', message);
    // Waiting for a key or a budget before any work: not an attempt, and nothing started or finished.
    if (err instanceof WaitJob) return this.settle(job, steps, 'waiting', message, { run_at: err.until ?? WAIT_FOREVER }, [], !err.asked && steps.withdrawStart());
    if (ctx.signal.aborted && !this.accepting) {
      // Shutting down: the job goes back to the queue untouched by this attempt.
      ctx.step('interrupted', 'the daemon stopped; the job will run again');
      return this.settle(job, steps, 'queued', null, { run_at: Date.now() });
    }
    const config = this.deps.config();
    if (err instanceof TransientError && job.attempts < config.max_attempts) {
      const delay = Math.max(err.retryAfterMs ?? 0, backoffMs(job.attempts, config.retry_base_ms, config.retry_max_ms));
      ctx.step('retry', `${message}; trying again in ${Math.round(delay / 1000)} s`);
      const row = this.settle(job, steps, 'queued', `retrying: ${message}`, { run_at: Date.now() + delay, last_error: message });
      if (row) this.deps.events.emit('job:retrying', row);
      return row;
    }
    const reason = err instanceof TransientError ? `gave up after ${job.attempts} attempts: ${message}` : message;
    ctx.step('failed', reason);
    return this.settle(job, steps, 'failed', reason, { last_error: message });
  }

  private settle(job: JobRow, steps: PendingSteps, to: 'succeeded' | 'failed' | 'skipped' | 'waiting' | 'queued', reason: string | null, patch: Partial<JobRow> = {}, changes: Change[] = [], notStarted = false): JobRow | undefined {
    const { store, events, log } = this.deps;
    // A job is done and revertable at once: its undo journal is saved in the same transaction,
    // and its step log with it (step-log.ts).
    const row = steps.keepIfFails(() => store.db.transaction(() => {
      steps.write();
      const moved = store.move(job.id, to, { reason, ...patch }, { worker: this.id, from: ['running'], notStarted });
      if (moved && changes.length) saveJournal(store.db, job.id, changes, blobsFor(this.deps.paths).seal);
      return moved;
    })());
    if (!row) {
      // Someone else moved it first (cancelled from the CLI): their word stands.
      log.info('job changed while it ran; keeping its new status', { job: job.id });
      return undefined;
    }
    if (to === 'skipped' && reason?.startsWith('the file was removed')) {
      // The content may be dropped again later; let it make a new job then.
      store.db.prepare('UPDATE jobs SET dedupe_key = NULL WHERE id = ?').run(job.id);
    }
    if (to !== 'queued') events.emit(`job:${to}`, row);
    log.info(`job ${to}`, { job: row.id, rule: row.rule, file: row.file, reason });
    return row;
  }

  private abortCancelled(): void {
    try {
      for (const [id, r] of this.running) {
        const row = this.deps.store.get(id);
        if (row && row.status !== 'running') r.controller.abort(new Error(`job ${row.status}`));
      }
    } catch (err) {
      // A team's database is down: a cancel is seen once it answers again.
      if (!(err instanceof StoreUnavailable)) throw err;
    }
  }

  /** Cuts short the grace period of a stop() under way: running jobs are aborted and re-queued now. */
  hurry(): void {
    this.endGrace?.();
  }

  /**
   * Stop taking jobs, give running ones `graceMs` to finish, then abort the rest; aborted jobs
   * go back to the queue.
   */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    if (this.cancelWatch) clearInterval(this.cancelWatch);
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => {
      graceTimer = setTimeout(() => resolve('late'), graceMs);
      this.endGrace = () => resolve('late');
    });
    if ((await Promise.race([all.then(() => 'done' as const), graceOver])) === 'late') {
      for (const r of this.running.values()) r.controller.abort(new Error('the daemon is stopping'));
      await Promise.race([all, new Promise((res) => setTimeout(res, 5000))]);
      for (const id of this.running.keys()) {
        this.deps.store.move(id, 'queued', { run_at: Date.now() }, { from: ['running'] });
      }
    }
    clearTimeout(graceTimer);
    await jobFoldersDiscarded();
  }
}
