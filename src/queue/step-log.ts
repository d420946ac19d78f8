import type { Store } from './store.js';

interface Entry {
  at: number;
  kind: string;
  message: string;
  data: unknown;
}

/**
 * A running job's step log, kept in memory and written with the job's next commit: the one that
 * ends it (the worker's settle) or, for a job still running after FLUSH_MS, a commit of its own.
 * A copy job wrote five step lines, each its own commit, around its two commits of state; now
 * they ride along with the second. A kill -9 loses at most the last FLUSH_MS of lines of the
 * attempt it cut short, which runs again; the live view gets every line at once through events.
 */
const FLUSH_MS = 1000;

export class PendingSteps {
  private entries: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private written = 0;

  constructor(private readonly store: Store, private readonly jobId: number, private readonly flushMs = FLUSH_MS) {}

  add(kind: string, message: string, data?: unknown): void {
    this.entries.push({ at: Date.now(), kind, message, data });
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending: inside the caller's transaction, part of that commit. */
  write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.entries;
    this.entries = [];
    this.written += entries.length;
    for (const e of entries) this.store.log(this.jobId, e.kind, e.message, e.data, e.at);
  }

  /**
   * Runs `commit` (a transaction that calls write()); if it fails, its lines are pending again,
   * ahead of any added since, for the next try (a team's database that was down).
   */
  keepIfFails<T>(commit: () => T): T {
    const before = [...this.entries];
    try {
      return commit();
    } catch (err) {
      const added = this.entries.filter((e) => !before.includes(e));
      this.entries = [...before, ...added];
      throw err;
    }
  }

  /**
   * When the job has logged nothing but its start (it waits for a key or a budget before doing
   * anything), takes that line back and says so: such a wait is not an attempt.
   */
  withdrawStart(): boolean {
    const only = this.entries[0];
    if (this.written > 0 || this.entries.length !== 1 || only?.kind !== 'started') return false;
    this.entries = [];
    return true;
  }

  /** Writes what is pending in a commit of its own. */
  flush(): void {
    if (this.entries.length === 0) return this.write();
    this.store.db.transaction(() => this.write())();
  }
}
