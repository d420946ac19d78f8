import type { Daemon } from '../daemon.js';
import { errorMessage, StoreUnavailable } from '../errors.js';
import { redactUrl } from '../queue/postgres/connection.js';
import { dropworkVersion } from '../version.js';
import { tidyCollected } from './tidy.js';

/**
 * This host's part in a team sharing one database: it says it is alive (the hosts table, which
 * `status` and the dashboard show), renews the leases of the jobs it runs, hands back other
 * hosts' jobs whose leases ran out, and rides out the database being down. On one machine's
 * SQLite file the same calls keep its single host row; nothing else changes.
 */
export class Team {
  private down: string | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly d: Daemon) {
    d.store.onWork(() => d.worker.wake());
  }

  /** Waits for the database at start (a team's server may come up after this host). */
  async whenReachable(): Promise<void> {
    for (;;) {
      try {
        this.d.store.counts();
        return;
      } catch (err) {
        if (!(err instanceof StoreUnavailable)) throw err;
        this.unreachable(err);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Every few seconds: heartbeat, lease renewals, and jobs whose host is gone. */
  beat(): void {
    const { store, config, worker, log } = this.d;
    store.heartbeatHost({
      name: config.host_name,
      role: config.role,
      version: dropworkVersion(),
      pid: process.pid,
      started_at: this.startedAt,
      running: worker.busy,
      rules: JSON.stringify(Object.fromEntries(this.d.rules.map((r) => [r.name, r.hash.slice(0, 16)]))),
    });
    if (this.down) this.back();
    if (this.d.collects && store.carriesFiles) tidyCollected(this.d);
    if (!this.d.works) return;
    store.renewLeases(worker.id, worker.runningIds());
    const { requeued, failed } = store.requeueExpired(config.max_crashes);
    if (requeued.length || failed.length) {
      log.warn('took back jobs whose host stopped renewing them', { requeued: requeued.map((j) => j.id), failed: failed.map((j) => j.id) });
      worker.wake();
    }
  }

  /** The database stopped answering: said once; collecting and working pause by themselves. */
  unreachable(err: unknown): void {
    if (this.down) return;
    this.down = errorMessage(err);
    this.d.log.warn('the database cannot be reached; files stay in their inboxes and jobs wait until it answers again', { error: this.down });
    this.d.events.emit('store:down', this.down);
  }

  private back(): void {
    this.down = undefined;
    this.d.log.info('the database answers again; catching up');
    this.d.events.emit('store:up');
    // Files that arrived while it was down were left in their inboxes: take them now.
    if (this.d.collects) this.d.inboxes.rescan();
    this.d.worker.wake();
  }

  /** Why the database cannot be reached now, if it cannot. */
  get problem(): string | undefined {
    return this.down;
  }

  /** On a clean stop: this host runs nothing now. */
  leave(): void {
    const { store, config } = this.d;
    store.heartbeatHost({ name: config.host_name, role: config.role, version: dropworkVersion(), pid: process.pid, started_at: this.startedAt, running: 0, rules: '{}' });
  }

  describe(): Record<string, string> {
    const { config } = this.d;
    return config.database ? { database: redactUrl(config.database), role: config.role, host: config.host_name } : {};
  }
}
