import type { Db, Statement } from './db.js';
import { openDb } from './db.js';
import { Drops } from './drops.js';
import { Users } from './users.js';
import { canMove, sourcesOf, type JobRow, type JobStatus, type JobTrigger, type Usage } from './status.js';

export interface NewJob {
  rule: string;
  file: string | null;
  sha256: string | null;
  trigger: JobTrigger;
  /**
   * Run once per rule, rule definition and content: a second job with the same key is not
   * created while the first is queued, running, waiting or succeeded.
   */
  dedupe: boolean;
  /** The rule's definition hash (Rule.definition), part of the dedupe key. */
  definition?: string;
  payload?: Record<string, unknown>;
  status?: 'queued' | 'skipped' | 'waiting';
  reason?: string;
}

export interface JobFilter {
  status?: JobStatus | undefined;
  rule?: string | undefined;
  search?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** A dropwork host using this database (a team's; one machine has one). */
export interface HostRow {
  name: string;
  role: 'all' | 'collect' | 'work';
  version: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
  running: number;
  /** JSON {rule name: hash of the rule's text} */
  rules: string;
}

export interface LogEntry {
  id: number;
  job_id: number;
  at: number;
  kind: string;
  message: string;
  data: string | null;
}

/** The durable queue and history. Every transition is one guarded UPDATE: two workers never both win. */
export class Store {
  readonly db: Db;
  readonly drops: Drops;
  /** The dashboard's people and the hashes of their sign-in secrets. */
  readonly users: Users;
  private readonly stmt;
  /**
   * move() statements by SQL text (a handful: one per target status and patch shape). Preparing
   * one per call cost ~3x the job's own two statements: 1,650 → 5,000+ jobs/s with the cache.
   */
  private readonly moves = new Map<string, Statement>();

  /** `where`: the SQLite file of one install, or an open database (a team's PostgreSQL). */
  constructor(where: string | Db) {
    this.db = typeof where === 'string' ? openDb(where) : where;
    const db = this.db;
    this.drops = new Drops(db);
    this.users = new Users(db);
    this.stmt = {
      insert: db.prepare(`INSERT INTO jobs (rule, file, sha256, dedupe_key, trigger, status, reason, payload, run_at, created_at, updated_at, finished_at, collected_by)
        VALUES (@rule, @file, @sha256, @dedupe_key, @trigger, @status, @reason, @payload, @now, @now, @now, @finished_at, @host)
        ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`),
      claim: db.prepare(`UPDATE jobs SET status = 'running', locked_by = @worker, attempts = attempts + 1,
          started_at = @now, updated_at = @now, reason = NULL, lease_until = @lease, ran_by = @host
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= @now
            AND rule NOT IN (SELECT value FROM json_each(@exclude)) ORDER BY run_at, id LIMIT 1)
          AND status = 'queued' RETURNING *`),
      get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      byKey: db.prepare('SELECT * FROM jobs WHERE dedupe_key = ?'),
      release: db.prepare("UPDATE jobs SET dedupe_key = NULL WHERE dedupe_key = ? AND status IN ('failed', 'skipped', 'cancelled')"),
      appendReason: db.prepare("UPDATE jobs SET reason = coalesce(reason || '; ', '') || ?, updated_at = ? WHERE id = ?"),
      duplicatesOf: db.prepare("SELECT * FROM jobs WHERE status = 'skipped' AND json_extract(payload, '$.duplicate_of') = ? ORDER BY id"),
      log: db.prepare('INSERT INTO job_log (job_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)'),
      logs: db.prepare('SELECT * FROM job_log WHERE job_id = ? ORDER BY id'),
      hashGet: db.prepare('SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ms = ?'),
      hashPut: db.prepare(`INSERT INTO file_hashes (path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?)
        ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256`),
      stateGet: db.prepare('SELECT value FROM state WHERE key = ?'),
      stateSet: db.prepare('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      counts: db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status'),
      running: db.prepare("SELECT rule, count(*) AS n FROM jobs WHERE status = 'running' AND locked_by = ? GROUP BY rule"),
      nextRunAt: db.prepare("SELECT min(run_at) AS t FROM jobs WHERE status = 'queued'"),
      spend: db.prepare('SELECT coalesce(sum(cost_usd), 0) AS usd FROM jobs WHERE started_at >= ?'),
    };
  }

  close(): void {
    this.db.close();
  }

  /** Adds a job; undefined when the same rule already has a job for this content. */
  enqueue(job: NewJob, now = Date.now()): JobRow | undefined {
    const status = job.status ?? 'queued';
    const key = job.dedupe && job.sha256 ? dedupeKey(job.rule, job.definition ?? '', job.sha256) : null;
    const insert = (): JobRow | undefined => this.stmt.insert.get({
      rule: job.rule,
      file: job.file,
      sha256: job.sha256,
      dedupe_key: key,
      trigger: job.trigger,
      status,
      reason: job.reason ?? null,
      payload: JSON.stringify(job.payload ?? {}),
      now,
      finished_at: status === 'skipped' ? now : null,
      host: this.hostName ?? null,
    }) as JobRow | undefined;
    const row = insert();
    if (row || !key) return row;
    // Only work done or under way holds its content: a failed, skipped or cancelled job's
    // content runs again when it is dropped again (and that job keeps its history).
    return this.stmt.release.run(key).changes > 0 ? insert() : undefined;
  }

  /** Many jobs in one transaction: a burst of 10,000 files is a handful of commits, not 10,000. */
  enqueueMany(jobs: NewJob[], now = Date.now()): JobRow[] {
    return this.db.transaction(() => jobs.map((j) => this.enqueue(j, now)).filter((r): r is JobRow => r !== undefined))();
  }

  /** This host's name (config host_name): recorded on the jobs it queues and runs. */
  hostName: string | undefined;

  /**
   * Whether queued files travel in the database with their jobs (a team's store, where another
   * machine may run them); one machine's SQLite file runs them from the inbox.
   */
  get carriesFiles(): boolean {
    return false;
  }

  /** Keeps a copy of job `jobId`'s file with the job (see carriesFiles). */
  keepFile(jobId: number, name: string, bytes: Buffer, sha256: string): void {
    this.db.prepare('INSERT INTO job_files (job_id, name, size, sha256, bytes) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING').run(jobId, name, bytes.length, sha256, bytes);
  }

  /** The copy of a job's file that travelled with it, if one did. */
  /** Drops the copy kept with a job (its job is over). */
  letGoOfFile(jobId: number): void {
    this.db.prepare('DELETE FROM job_files WHERE job_id = ?').run(jobId);
  }

  keptFile(jobId: number): { name: string; sha256: string; bytes: Buffer } | undefined {
    const row = this.db.prepare('SELECT name, sha256, bytes FROM job_files WHERE job_id = ?').get(jobId) as { name: string; sha256: string; bytes: Buffer | Uint8Array } | undefined;
    return row ? { name: row.name, sha256: row.sha256, bytes: Buffer.from(row.bytes) } : undefined;
  }

  /** A host says it is alive: what it is, and how many jobs it runs now. */
  heartbeatHost(h: Omit<HostRow, 'heartbeat_at'>, now = Date.now()): void {
    this.db.prepare(`INSERT INTO hosts (name, role, version, pid, started_at, heartbeat_at, running, rules) VALUES (@name, @role, @version, @pid, @started_at, @now, @running, @rules)
      ON CONFLICT (name) DO UPDATE SET role = excluded.role, version = excluded.version, pid = excluded.pid, started_at = excluded.started_at,
        heartbeat_at = excluded.heartbeat_at, running = excluded.running, rules = excluded.rules`).run({ ...h, now });
  }

  hosts(): HostRow[] {
    return this.db.prepare('SELECT * FROM hosts ORDER BY name').all() as HostRow[];
  }

  /** How long a claimed job stays its worker's without a renewal (config `lease_seconds`). */
  leaseMs = 60_000;

  claim(worker: string, excludeRules: string[] = [], now = Date.now()): JobRow | undefined {
    return this.stmt.claim.get({ worker, now, exclude: JSON.stringify(excludeRules), lease: now + this.leaseMs, host: hostOfWorker(worker) }) as JobRow | undefined;
  }

  /** The worker is alive: its running jobs stay its own for another lease. */
  renewLeases(worker: string, running: readonly number[], now = Date.now()): number {
    // Only the jobs it is running now: one it gave up on (its end could not be recorded) must be
    // let go, for its lease to run out and the job to run again.
    return this.db.prepare("UPDATE jobs SET lease_until = ? WHERE status = 'running' AND locked_by = ? AND id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))")
      .run(now + this.leaseMs, worker, JSON.stringify(running)).changes;
  }

  /**
   * Whether `worker` still holds job `id`: asked right before publishing, so a worker whose job
   * was taken from it (cancelled; on a team's database, its lease ran out and the job ran
   * elsewhere) never publishes it. One machine's file has no leases: its daemon recovers its
   * own jobs at start, and `dropwork run` may hold a job as long as it runs.
   */
  stillHolds(id: number, worker: string, _now = Date.now()): boolean {
    return this.db.prepare("SELECT 1 FROM jobs WHERE id = ? AND status = 'running' AND locked_by = ?").get(id, worker) !== undefined;
  }

  /** Called when another process queued work; the SQLite store has no such signal (the worker polls). */
  onWork(_fn: () => void): () => void {
    return () => undefined;
  }

  get(id: number): JobRow | undefined {
    return this.stmt.get.get(id) as JobRow | undefined;
  }

  /** The job holding a dedupe key (queued, running, waiting or succeeded). */
  byDedupeKey(key: string): JobRow | undefined {
    return this.stmt.byKey.get(key) as JobRow | undefined;
  }

  /** Adds to a finished job's reason (what was done to a duplicate's original). */
  appendReason(id: number, text: string, now = Date.now()): void {
    this.stmt.appendReason.run(text, now, id);
  }

  /** Skipped rows recorded as duplicates of job `id`. */
  duplicatesOf(id: number): JobRow[] {
    return this.stmt.duplicatesOf.all(id) as JobRow[];
  }

  /**
   * Moves a job to `to` if it is still in a state that allows it (and, for a running job, still
   * held by `worker`). Returns the new row, or undefined when someone else got there first.
   */
  move(id: number, to: JobStatus, patch: Partial<Pick<JobRow, 'reason' | 'last_error' | 'run_at' | 'outputs' | 'payload' | 'dedupe_key'>> = {}, opts: { worker?: string; from?: JobStatus[]; now?: number; notStarted?: boolean } = {}): JobRow | undefined {
    const now = opts.now ?? Date.now();
    const from = (opts.from ?? sourcesOf(to)).filter((s) => canMove(s, to));
    if (from.length === 0) return undefined;
    const final = to === 'succeeded' || to === 'failed' || to === 'skipped' || to === 'cancelled';
    const sets = ['status = @to', 'updated_at = @now'];
    const params: Record<string, unknown> = { id, to, now, worker: opts.worker ?? null };
    // A job taken back before it did anything (it waits for a key): its claim is not an attempt.
    if (opts.notStarted) sets.push('attempts = attempts - 1', 'started_at = NULL', 'finished_at = NULL');
    else if (final || to === 'waiting') sets.push('finished_at = @now');
    if (to === 'queued') sets.push('finished_at = NULL', 'locked_by = NULL');
    if (final) sets.push('locked_by = NULL');
    for (const [k, v] of Object.entries(patch)) {
      sets.push(`${k} = @p_${k}`);
      params[`p_${k}`] = v;
    }
    const guardWorker = opts.worker ? "AND (status != 'running' OR locked_by = @worker)" : '';
    // The statuses are the state machine's own words (status.ts), never input, so they are
    // written into the statement: a JSON list to unpack cost PostgreSQL ~2 ms a move.
    const sql = `UPDATE jobs SET ${sets.join(', ')} WHERE id = @id AND status IN (${from.map((f) => `'${f}'`).join(', ')}) ${guardWorker} RETURNING *`;
    let statement = this.moves.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.moves.set(sql, statement);
    }
    return statement.get(params) as JobRow | undefined;
  }

  /** Waiting jobs whose time has come (a new day for the budget) go back to the queue. */
  wakeDue(now = Date.now()): number {
    return this.db.prepare("UPDATE jobs SET status = 'queued', finished_at = NULL, reason = NULL, updated_at = ? WHERE status = 'waiting' AND run_at <= ?").run(now, now).changes;
  }

  /** Waiting jobs whose reason starts with `reason` go back to the queue (a key was configured). */
  resumeWaiting(reason: string, now = Date.now()): number {
    return this.db.prepare("UPDATE jobs SET status = 'queued', finished_at = NULL, reason = NULL, run_at = ?, updated_at = ? WHERE status = 'waiting' AND substr(reason, 1, length(?)) = ?").run(now, now, reason, reason).changes;
  }

  addUsage(id: number, u: Usage): void {
    this.db.prepare(`UPDATE jobs SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
      cache_read_tokens = cache_read_tokens + ?, cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ? WHERE id = ?`)
      .run(u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.cost_usd, id);
  }

  /**
   * Start-up recovery: jobs a dead daemon left running go back to the queue, except those that
   * have now been running through too many crashes, which fail with the reason.
   */
  recover(maxCrashes: number, host?: string, now = Date.now()): { requeued: JobRow[]; failed: JobRow[] } {
    const scope = this.recoverable(host, now);
    return this.recoverWhere(maxCrashes, scope.where, scope.params, now);
  }

  protected recoverWhere(maxCrashes: number, where: string, params: unknown[], now: number): { requeued: JobRow[]; failed: JobRow[] } {
    return this.db.transaction(() => {
      const rows = this.db.prepare(`UPDATE jobs SET crashes = crashes + 1 WHERE status = 'running' AND ${where} RETURNING *`).all(...params) as JobRow[];
      const requeued: JobRow[] = [];
      const failed: JobRow[] = [];
      for (const row of rows) {
        if (row.crashes >= maxCrashes) {
          const r = this.move(row.id, 'failed', { reason: `the daemon stopped ${row.crashes} times while running this job; not trying again` }, { now });
          if (r) failed.push(r);
        } else {
          const r = this.move(row.id, 'queued', { run_at: now, reason: null }, { now });
          if (r) requeued.push(r);
        }
      }
      return { requeued, failed };
    })();
  }

  /**
   * Which running jobs recovery may take back. One install's SQLite file has one daemon: at its
   * start every running job was left by its predecessor. (The team store narrows this.)
   */
  protected recoverable(_host: string | undefined, _now: number): { where: string; params: unknown[] } {
    return { where: '1 = 1', params: [] };
  }

  /**
   * Running jobs whose lease ran out (their worker died or was cut off) go back to the queue.
   * Only a team's database has leases (see stillHolds).
   */
  requeueExpired(_maxCrashes: number, _now = Date.now()): { requeued: JobRow[]; failed: JobRow[] } {
    return { requeued: [], failed: [] };
  }

  /** Running jobs of this worker, per rule: the per-rule concurrency limit is checked against it. */
  runningByRule(worker: string): Map<string, number> {
    const rows = this.stmt.running.all(worker) as { rule: string; n: number }[];
    return new Map(rows.map((r) => [r.rule, r.n]));
  }

  nextRunAt(): number | undefined {
    const row = this.stmt.nextRunAt.get() as { t: number | null };
    return row.t ?? undefined;
  }

  list(f: JobFilter = {}): JobRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (f.status) { where.push('status = @status'); params.status = f.status; }
    if (f.rule) { where.push('rule = @rule'); params.rule = f.rule; }
    // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
    if (f.search) { where.push("lower(file) LIKE lower(@search) ESCAPE '\\'"); params.search = `%${f.search.replace(/[%_\\]/g, '\\$&')}%`; }
    if (f.since !== undefined) { where.push('created_at >= @since'); params.since = f.since; }
    if (f.until !== undefined) { where.push('created_at < @until'); params.until = f.until; }
    params.limit = f.limit ?? 50;
    params.offset = f.offset ?? 0;
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit OFFSET @offset`;
    return this.db.prepare(sql).all(params) as JobRow[];
  }

  counts(): Record<JobStatus, number> {
    const out: Record<JobStatus, number> = { queued: 0, running: 0, waiting: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, reverted: 0 };
    for (const r of this.stmt.counts.all() as { status: JobStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  log(jobId: number, kind: string, message: string, data?: unknown, now = Date.now()): void {
    this.stmt.log.run(jobId, now, kind, message, data === undefined ? null : JSON.stringify(data));
  }

  logs(jobId: number): LogEntry[] {
    return this.stmt.logs.all(jobId) as LogEntry[];
  }

  cachedHash(path: string, size: number, mtimeMs: number): string | undefined {
    return (this.stmt.hashGet.get(path, size, mtimeMs) as { sha256: string } | undefined)?.sha256;
  }

  rememberHash(path: string, size: number, mtimeMs: number, sha256: string): void {
    this.stmt.hashPut.run(path, size, mtimeMs, sha256);
  }

  getState<T>(key: string): T | undefined {
    const row = this.stmt.stateGet.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setState(key: string, value: unknown): void {
    this.stmt.stateSet.run(key, JSON.stringify(value));
  }

  /** Agent spending of jobs started since `since` (ms since epoch). */
  spendSince(since: number): number {
    return (this.stmt.spend.get(since) as { usd: number }).usd;
  }

  /** Today's agent spending, the day starting at local midnight as the daily budget counts it. */
  spentToday(now = new Date()): number {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    return this.spendSince(midnight.getTime());
  }
}

/** Rule, rule definition and content: the same content runs once per version of a rule. */
export function dedupeKey(rule: string, definition: string, sha256: string): string {
  return `${rule}\n${definition}\n${sha256}`;
}

/** Workers are named `host/worker-…` (see Worker.id); older ids carry no host. */
export function hostOfWorker(worker: string): string | null {
  const i = worker.indexOf('/');
  return i > 0 ? worker.slice(0, i) : null;
}
