/**
 * The few error types dropwork uses. Everything thrown inside a job is turned into one of
 * these (or a plain Error) by coerceError, and the worker decides retry / fail / skip / wait
 * from the type alone.
 */

export class DropworkError extends Error {
  override name = 'DropworkError';
}

/** Where in a YAML file a problem is. Lines and columns count from 1. */
export interface Location {
  file: string;
  line: number;
  col: number;
  /** Dotted field path such as `rules[0].actions[1].copy`; empty for the whole file. */
  field: string;
}

/** A rule file or config.yaml that does not say something dropwork can run. */
export class ConfigError extends DropworkError {
  override name = 'ConfigError';
  constructor(
    readonly location: Location,
    readonly detail: string,
  ) {
    super(formatLocated(location, detail));
  }
}

export function formatLocated(loc: Location, detail: string): string {
  const where = `${loc.file}:${loc.line}:${loc.col}`;
  return loc.field ? `${where} ${loc.field}: ${detail}` : `${where} ${detail}`;
}

/** Retrying cannot help (a bad rule, a rejected key, a missing image): fail at once. */
export class UnrecoverableError extends DropworkError {
  override name = 'UnrecoverableError';
}

/** Worth another attempt later (a locked file, a busy disk, an overloaded API). */
export class TransientError extends DropworkError {
  override name = 'TransientError';
  constructor(
    message: string,
    /** The earliest sensible retry, when the cause said so (e.g. retry-after). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * The shared database cannot be reached (a team's PostgreSQL server restarting, the network
 * gone). Nothing is lost: collecting waits with files left in their inboxes, workers pause, and
 * both carry on by themselves when it answers again.
 */
export class StoreUnavailable extends TransientError {
  override name = 'StoreUnavailable';
}

/** An agent tool was called wrongly; the message goes back to the model, never crashes the job. */
export class ToolError extends DropworkError {
  override name = 'ToolError';
}

/** The sandbox could not run a command or broke one of its limits. */
export class SandboxError extends DropworkError {
  override name = 'SandboxError';
}

/** The job ends `skipped`: nothing was wrong, there was just nothing to do. */
export class SkipJob extends DropworkError {
  override name = 'SkipJob';
}

/** The job ends `waiting` for the person (approval, an API key, budget) with this reason. */
export class WaitJob extends DropworkError {
  override name = 'WaitJob';
  constructor(
    message: string,
    /** When the wait may end by itself (e.g. midnight for a daily budget), as ms since epoch. */
    readonly until?: number,
    /** The job asked the API before it had to wait (a refused key): that was an attempt. */
    readonly asked = false,
  ) {
    super(message);
  }
}

/** Error codes from the OS that mean "try again in a moment". */
const TRANSIENT_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'ENOSPC', 'EDQUOT']);

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Anything thrown, as an Error; OS errors that are worth retrying become TransientError. */
export function coerceError(err: unknown): Error {
  if (err instanceof DropworkError) return err;
  const code = errorCode(err);
  if (code && TRANSIENT_CODES.has(code)) {
    return new TransientError(err instanceof Error ? err.message : String(err));
  }
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
