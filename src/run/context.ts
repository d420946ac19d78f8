import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Paths } from '../paths.js';
import type { StagedOutput } from '../publish/publish.js';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';

/** What a running job can see and do. */
export interface JobContext {
  job: JobRow;
  rule: Rule;
  config: Config;
  paths: Paths;
  store: Store;
  log: Logger;
  /** Aborted when the job is cancelled or the daemon stops. */
  signal: AbortSignal;
  /** The job's own folder (jobs/<id>): staging and workspace. Emptied before each attempt. */
  workdir: string;
  /** Adds a line to the job's step log (and the transcript that `jobs show` prints). */
  step(kind: string, message: string, data?: unknown): void;
  /**
   * Whether this worker still holds the job (its lease did not run out and pass the job to
   * another host); asked right before publishing. Absent outside the worker (approvals).
   */
  stillMine?: () => boolean;
  /**
   * Set when the job's file travelled from another host of a team (src/team/travel.ts): the
   * original is in that host's inbox, so `after:` is that host's to apply, not this one's.
   */
  originalOn?: string;
}

export interface RunResult {
  /** Finished files, published together once the job succeeds (and is approved). */
  staged: StagedOutput[];
}

/** Runs one kind of rule: deterministic steps, or the agent. */
export type Runner = (ctx: JobContext) => Promise<RunResult>;

/** Facts about the original file recorded when it was queued. */
export interface FilePayload {
  size?: number;
  mtimeMs?: number;
  birthtimeMs?: number;
  /** Set on jobs that wait for approval: what they will publish when approved. */
  staged?: StagedOutput[];
}

export function payloadOf(job: JobRow): FilePayload {
  try {
    return JSON.parse(job.payload) as FilePayload;
  } catch {
    return {};
  }
}
