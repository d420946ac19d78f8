/**
 * What one job's commands may use. One defaults object; a rule narrows or widens
 * a few of these (see `limitsForRule`), the rest are the daemon's.
 */
export interface SandboxLimits {
  /** Memory for all of a job's processes together (docker: the container; bubblewrap: per process). @default 1 GiB */
  memoryBytes: number;
  /** CPU share (docker only; bubblewrap relies on the timeouts). @default 1 */
  cpus: number;
  /** Processes and threads at once. @default 256 */
  pids: number;
  /** Size of the private /tmp, which is also HOME. @default 256 MiB */
  tmpBytes: number;
  /** A command's timeout when the tool call names none. @default 120000 (120 s) */
  commandTimeoutMs: number;
  /** The longest timeout a tool call may ask for (a rule's `sandbox.max_command_s`). @default 600000 (10 min) */
  maxCommandTimeoutMs: number;
  /** All of a job's commands together, from the sandbox's opening. @default 1800000 (30 min) */
  jobWallMs: number;
  /** What a job may hold in output/ (the file tools' writes count too); past it the job fails. @default 1 GiB */
  writeCapBytes: number;
  /** Files and folders output/ may hold; also bounds the cost of measuring it. @default 10000 */
  maxOutputFiles: number;
  /** How much of a command's stdout and of its stderr the model is shown. @default 16384 (16 KiB) */
  shownOutputBytes: number;
  /** How often output/ is measured while a command runs. @default 250 */
  writeCheckMs: number;
}

const MiB = 1024 * 1024;

export const defaultLimits = {
  memoryBytes: 1024 * MiB,
  cpus: 1,
  pids: 256,
  tmpBytes: 256 * MiB,
  commandTimeoutMs: 120_000,
  maxCommandTimeoutMs: 600_000,
  jobWallMs: 30 * 60_000,
  writeCapBytes: 1024 * MiB,
  maxOutputFiles: 10_000,
  shownOutputBytes: 16 * 1024,
  // 250 ms: a disk filler at ~1 GB/s overshoots the cap by at most ~250 MB, and the
  // walk of a typical output/ (a few files) costs well under 1 ms.
  writeCheckMs: 250,
} satisfies SandboxLimits;

/** The limits for a job of a rule whose YAML says `sandbox: {max_command_s}`. */
export function limitsForRule(rule: { maxCommandS: number }, base: SandboxLimits = defaultLimits): SandboxLimits {
  const max = rule.maxCommandS * 1000;
  return { ...base, maxCommandTimeoutMs: max, commandTimeoutMs: Math.min(base.commandTimeoutMs, max) };
}

/** A command's timeout: what was asked (or the default), within the rule's maximum and what is left of the job's wall clock. */
export function commandTimeout(limits: SandboxLimits, requestedMs: number | undefined, elapsedJobMs: number): { timeoutMs: number; byWall: boolean } {
  const wanted = Math.min(requestedMs ?? limits.commandTimeoutMs, limits.maxCommandTimeoutMs);
  const left = limits.jobWallMs - elapsedJobMs;
  return left < wanted ? { timeoutMs: Math.max(0, left), byWall: true } : { timeoutMs: Math.max(1, wanted), byWall: false };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / 1024 / MiB).toFixed(2)} GiB`;
}

/** Seconds for messages: "120 s". */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
