import type { Statement } from '../db.js';
import type { JobRow } from '../status.js';
import { hostOfWorker, Store } from '../store.js';
import type { PostgresDb } from './db.js';

/**
 * The team's store: the same queue and history as SQLite's (every statement but these is
 * shared), on a PostgreSQL server that several hosts use at once.
 * - claim takes the next job with FOR UPDATE SKIP LOCKED: workers on many hosts claim in
 *   parallel, none waits on a row another is taking, and none takes the same row.
 * - start-up recovery touches only this host's jobs and jobs whose lease ran out; other hosts'
 *   running jobs are theirs while they renew their leases.
 */
export class PostgresStore extends Store {
  private readonly claimNext: Statement;

  constructor(readonly pg: PostgresDb) {
    super(pg);
    this.claimNext = pg.prepare(`UPDATE jobs SET status = 'running', locked_by = @worker, attempts = attempts + 1,
        started_at = @now, updated_at = @now, reason = NULL, lease_until = @lease, ran_by = @host
      WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= @now
          AND NOT (rule = ANY (@exclude::text[])) ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING *`);
  }

  override claim(worker: string, excludeRules: string[] = [], now = Date.now()): JobRow | undefined {
    return this.claimNext.get({ worker, now, exclude: excludeRules, lease: now + this.leaseMs, host: hostOfWorker(worker) }) as JobRow | undefined;
  }

  protected override recoverable(host: string | undefined, now: number): { where: string; params: unknown[] } {
    // Another host's running job is left alone unless its lease ran out (then that host is gone).
    if (!host) return { where: 'lease_until < ?', params: [now] };
    return { where: "(substr(locked_by, 1, length(?) + 1) = ? || '/' OR lease_until < ?)", params: [host, host, now] };
  }

  /**
   * Still this worker's: running and locked by it. A lease that ran out with nobody taking the
   * job back yet still counts (a host slowed past its renewals is not a reason to fail the job):
   * it is renewed here, and the row lock orders this against another host's take-back, so
   * exactly one of the two wins.
   */
  override stillHolds(id: number, worker: string, now = Date.now()): boolean {
    return this.db.prepare("UPDATE jobs SET lease_until = ? WHERE id = ? AND status = 'running' AND locked_by = ?")
      .run(now + this.leaseMs, id, worker).changes === 1;
  }

  override requeueExpired(maxCrashes: number, now = Date.now()): { requeued: JobRow[]; failed: JobRow[] } {
    return this.recoverWhere(maxCrashes, 'lease_until < ?', [now], now);
  }

  /** On a team's database another machine may run the job: its file goes with it. */
  override get carriesFiles(): boolean {
    return true;
  }

  // The daemon's own status record describes this host; every host keeps its own.
  override getState<T>(key: string): T | undefined {
    return super.getState<T>(this.local(key));
  }

  override setState(key: string, value: unknown): void {
    super.setState(this.local(key), value);
  }

  private local(key: string): string {
    return key === 'daemon' ? `daemon@${this.hostName ?? ''}` : key;
  }

  /** Waits for work queued by any host: `fn` runs on each LISTEN/NOTIFY wake-up. */
  override onWork(fn: () => void): () => void {
    return this.pg.onWork(fn);
  }
}
