/** The one job state machine. Every change of status goes through `canMove`. */

export const JOB_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled', 'reverted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** `compile`: a rule's compile job (src/program), which has no file of its own. */
export type JobTrigger = 'watch' | 'schedule' | 'manual' | 'compile';

/** run_at of a job that waits for a person, not a time. */
export const WAIT_FOREVER = Number.MAX_SAFE_INTEGER;

/** The states a job leaves only when a person acts (retry) or never. */
export const FINAL: readonly JobStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'reverted'];

const MOVES: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'waiting', 'skipped', 'cancelled'],
  // back to queued: a retry after a transient error, or a crash / shutdown re-queue.
  running: ['succeeded', 'failed', 'skipped', 'waiting', 'queued', 'cancelled'],
  // approve publishes (succeeded); a key, a budget or a deny ends the wait.
  waiting: ['queued', 'succeeded', 'failed', 'cancelled'],
  failed: ['queued'],
  skipped: ['queued'],
  cancelled: ['queued'],
  // A revert puts back what the job changed (src/undo); the job's history stays.
  succeeded: ['reverted'],
  reverted: [],
};

export function canMove(from: JobStatus, to: JobStatus): boolean {
  return MOVES[from].includes(to);
}

/** The statuses a job may be in for it to move to `to`. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((s) => MOVES[s].includes(to));
}

export function isJobStatus(s: string): s is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(s);
}

/** A row of the jobs table as SQLite returns it. */
export interface JobRow {
  id: number;
  rule: string;
  file: string | null;
  sha256: string | null;
  dedupe_key: string | null;
  trigger: JobTrigger;
  status: JobStatus;
  reason: string | null;
  attempts: number;
  crashes: number;
  run_at: number;
  locked_by: string | null;
  last_error: string | null;
  payload: string;
  outputs: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  reverted_at: number | null;
  reverted_by: string | null;
  undo_expired: number;
  /** 'program' when a learned program did the file (src/program); null otherwise. */
  runner?: string | null;
  program_version?: number | null;
  /** Until when the running job is its worker's without a renewal (a team's hosts; ms). */
  lease_until?: number | null;
  /** The host that watched the file and queued the job, and the host that ran it. */
  collected_by?: string | null;
  ran_by?: string | null;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
}

/** A job as the CLI (--json), the dashboard and its API show it. Field names are stable. */
export interface JobView {
  id: number;
  rule: string;
  file: string | null;
  sha256: string | null;
  status: JobStatus;
  reason: string | null;
  attempts: number;
  trigger: JobTrigger;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** When it may run; null for a job that waits for a person (approval), not a time. */
  run_at: string | null;
  outputs: string[];
  usage: Usage;
  /** Set once the job was reverted: when, and by whom ("by hand", "from the dashboard"). */
  reverted: { at: string; by: string } | null;
  /** Who did the file: a learned program (0 tokens, $0), or null for the rule's steps or agent. */
  runner: 'program' | null;
  program_version: number | null;
  /** Which host queued it and which ran it (null on one machine's own history before 0.2). */
  collected_by: string | null;
  ran_by: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toView(row: JobRow): JobView {
  return {
    id: row.id,
    rule: row.rule,
    file: row.file,
    sha256: row.sha256,
    status: row.status,
    reason: row.reason,
    attempts: row.attempts,
    trigger: row.trigger,
    created_at: iso(row.created_at) as string,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    // WAIT_FOREVER is past the last date a Date can hold.
    run_at: row.run_at >= WAIT_FOREVER ? null : iso(row.run_at),
    outputs: JSON.parse(row.outputs) as string[],
    usage: {
      input_tokens: row.input_tokens,
      output_tokens: row.output_tokens,
      cache_read_tokens: row.cache_read_tokens,
      cache_write_tokens: row.cache_write_tokens,
      cost_usd: row.cost_usd,
    },
    reverted: row.reverted_at === null || row.reverted_at === undefined ? null : { at: iso(row.reverted_at) as string, by: row.reverted_by ?? '' },
    runner: row.runner === 'program' ? 'program' : null,
    program_version: row.runner === 'program' ? row.program_version ?? null : null,
    collected_by: row.collected_by ?? null,
    ran_by: row.ran_by ?? null,
  };
}
