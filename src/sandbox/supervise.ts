/**
 * What both real backends do around a command: the timeout, the job's wall clock,
 * the write cap watched while the command runs, cancellation, and output trimmed for
 * the model. A backend supplies only "start it", "kill it" and "why did it die".
 */
import { performance } from 'node:perf_hooks';
import type { CommandResult, RunOptions } from './sandbox.js';
import { commandTimeout, formatBytes, formatSeconds, type SandboxLimits } from './limits.js';
import { measure } from './output.js';

/** What programs print when an allocation is refused (or the kernel killed for memory). */
export const NO_MEMORY_WORDS = /MemoryError|Cannot allocate memory|std::bad_alloc|out of memory/i;
/** What programs print when a fork is refused. */
export const NO_FORK_WORDS = /Cannot fork|can't fork|fork: (retry: )?Resource temporarily unavailable/i;

/** Past its own in-sandbox timeout a command gets this long before the host kills it. */
const HOST_GRACE_MS = 3000;

/** Keeps the head and the tail of a stream, and how long it really was. */
export class OutputCapture {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail = Buffer.alloc(0);
  total = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(limit: number) {
    // The tail is where errors are; the head says what the command was doing.
    this.tailMax = Math.floor(limit / 4);
    this.headMax = limit - this.tailMax;
  }

  write(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.headMax - this.headBytes;
    if (room > 0) {
      this.head.push(chunk.subarray(0, room));
      this.headBytes += Math.min(room, chunk.length);
      chunk = chunk.subarray(room);
    }
    if (chunk.length > 0) this.tail = Buffer.concat([this.tail, chunk]).subarray(-this.tailMax);
  }

  get truncated(): boolean {
    return this.total > this.headMax + this.tailMax;
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    if (!this.truncated) return head + this.tail.toString('utf8');
    const left = this.total - this.headBytes - this.tail.length;
    return `${head}\n[... ${formatBytes(left)} left out: ${formatBytes(this.total)} in all ...]\n${this.tail.toString('utf8')}`;
  }
}

export interface Started {
  /** Resolves once the command has ended, however it ended; `timedOut` when the sandbox's own timeout stopped it. */
  done: Promise<{ exitCode: number | null; timedOut?: boolean }>;
}

export interface Supervised {
  limits: SandboxLimits;
  /** Folders whose contents count against the write cap. */
  writable: string[];
  openedAt: number;
  start(timeoutMs: number, stdout: OutputCapture, stderr: OutputCapture): Promise<Started>;
  /** Stops the command and all it started, now. */
  kill(): Promise<void>;
  /**
   * A limit the command broke, if that can be told: called after every command, so it
   * must be cheap when nothing looks wrong. A program that hit a limit and coped (a fork
   * bomb whose forks failed, then exit 0) still broke it.
   */
  explain(exitCode: number | null, stderr: string, timedOut: boolean): Promise<string | undefined>;
}

export async function supervise(s: Supervised, opts: RunOptions = {}): Promise<CommandResult> {
  const t0 = performance.now();
  const { limits } = s;
  const { timeoutMs, byWall } = commandTimeout(limits, opts.timeoutMs, t0 - s.openedAt);
  const timeoutReason = byWall ? `job wall-clock limit of ${formatSeconds(limits.jobWallMs)} reached` : `command timed out after ${formatSeconds(timeoutMs)}`;
  const stdout = new OutputCapture(limits.shownOutputBytes);
  const stderr = new OutputCapture(limits.shownOutputBytes);
  const result = (exitCode: number | null, failure: string | undefined, timedOut: boolean, jobLimit = false): CommandResult => ({
    exitCode, stdout: stdout.text(), stderr: stderr.text(), timedOut, truncated: stdout.truncated || stderr.truncated,
    durationMs: Math.round(performance.now() - t0), ...(failure ? { failure } : {}), ...(failure && jobLimit ? { jobLimit } : {}),
  });
  if (timeoutMs <= 0) return result(null, timeoutReason, true, true);
  if (opts.signal?.aborted) return result(null, 'cancelled', false, true);

  let stopped: { reason: string; timedOut: boolean } | undefined;
  const stop = (reason: string, timedOut = false): void => {
    if (stopped) return;
    stopped = { reason, timedOut };
    s.kill().catch(() => undefined); // close() reports a container that would not go
  };
  const capCheck = async (): Promise<string | undefined> => {
    const size = await measure(s.writable, { bytes: limits.writeCapBytes, entries: limits.maxOutputFiles });
    if (size.bytes > limits.writeCapBytes) return `write cap exceeded: the job wrote more than ${formatBytes(limits.writeCapBytes)}`;
    if (size.entries > limits.maxOutputFiles) return `write cap exceeded: more than ${limits.maxOutputFiles} files`;
    return undefined;
  };

  const started = await s.start(timeoutMs, stdout, stderr);
  const timer = setTimeout(() => stop(timeoutReason, true), timeoutMs + HOST_GRACE_MS);
  const onAbort = (): void => stop('cancelled');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort(); // aborted while the container was starting
  let checking = false;
  const watch = setInterval(() => {
    if (checking) return; // a slow walk must not pile up
    checking = true;
    void capCheck().then((over) => over && stop(over)).finally(() => { checking = false; });
  }, limits.writeCheckMs);

  const { exitCode, timedOut: stoppedInside } = await started.done;
  clearTimeout(timer);
  clearInterval(watch);
  opts.signal?.removeEventListener('abort', onAbort);

  const elapsed = performance.now() - t0;
  // Stopped at its timeout inside the sandbox: the runner says so; coreutils' `timeout` exits
  // 124 (TERM sufficed) or 137 (KILL needed).
  const atDeadline = (exitCode === 124 || exitCode === 137) && elapsed >= timeoutMs - 50;
  if (!stopped && (stoppedInside ?? atDeadline)) stopped = { reason: timeoutReason, timedOut: true };
  const over = await capCheck();
  if (over) return result(stopped ? null : exitCode, over, stopped?.timedOut ?? false, true);
  const timedOut = stopped?.timedOut ?? false;
  const cancelled = stopped?.reason === 'cancelled';
  const why = cancelled ? undefined : await s.explain(exitCode, stderr.text(), timedOut).catch(() => undefined);
  const failure = [why, stopped?.reason].filter(Boolean).join('; ') || undefined;
  // Only a command's own timeout leaves the job going: the model can give it longer or do it
  // another way. Memory and process limits (a hog, a fork bomb) and the job's clock end the job.
  return result(stopped ? null : exitCode, failure, timedOut, cancelled || why !== undefined || (timedOut && byWall));
}
