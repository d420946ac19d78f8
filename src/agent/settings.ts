/**
 * The agent's fixed limits, in one place. They are not config keys on purpose: what a person
 * tunes is a rule's `max_turns` / `max_cost_usd` and config's `daily_budget_usd`; these are
 * the engineering bounds that keep a job from hanging or flooding the model. Tests and the
 * benchmark shorten the waits with `tuneAgent`.
 */
const MiB = 1024 * 1024;

export interface AgentSettings {
  /** One request, from sending it to its last byte. @default 600000 (10 min) */
  requestTimeoutMs: number;
  /** No stream event for this long: the response stalled (the SDK's timeout stops at the headers). @default 90000 */
  idleTimeoutMs: number;
  /** Tries of one request before this attempt of the job gives up. @default 4 */
  requestAttempts: number;
  /** First wait between tries of a request; doubles, with jitter. @default 1000 */
  retryBaseMs: number;
  /** Longest wait between tries of a request. @default 30000 */
  retryMaxMs: number;
  /** A `retry-after` longer than this ends the attempt: the queue waits, not a running job. @default 60000 */
  maxInlineWaitMs: number;
  /** Wall clock of one attempt of an agent job. @default 1800000 (30 min) */
  jobWallMs: number;
  /** `max_tokens` of an agent request (thinking included); lowered when the job's budget is nearly spent. @default 8192 */
  maxOutputTokens: number;
  /** Failed requests in a row, with no success between, that mean "the API is down". @default 4 */
  breakerFailures: number;
  /** First wait before probing a down API; doubles with jitter up to probeMaxMs (queue/backoff.ts). @default 30000 */
  probeMs: number;
  probeMaxMs: number;
  /** How often the daemon re-checks for a key and a raised budget. @default 5000 */
  watchMs: number;
  /** A PDF larger than this is not attached to the first request (the API takes 32 MB per request). @default 20 MiB */
  attachPdfMaxBytes: number;
  /** The API reads at most 100 pages of a PDF. @default 100 */
  attachPdfMaxPages: number;
  /** Images are shrunk to fit this edge: the API scales larger ones down anyway, after the upload. @default 1568 */
  imageMaxEdgePx: number;
  /** The API's limit for one image, before base64 (5 MB encoded). @default 3.75 MiB */
  imageMaxBytes: number;
  /** A text file up to this many characters rides inline in the first request. @default 60000 */
  attachTextMaxChars: number;
  /** One page of read_file for text. @default 40000 */
  readTextMaxChars: number;
  /** What one write_file may write. @default 5 MiB */
  writeMaxBytes: number;
  /** Longest string kept in the job's history per field; the model still saw all of it. @default 2000 */
  logTextMaxChars: number;
  /** Copies of the outputs folder made for commands: beyond these the rest stays out of the sandbox. */
  outputCopyMaxBytes: number;
  outputCopyMaxFiles: number;
  /** A scheduled rule's input folder is copied up to this much. */
  inputCopyMaxBytes: number;
  inputCopyMaxFiles: number;
}

const defaults: AgentSettings = {
  requestTimeoutMs: 600_000,
  idleTimeoutMs: 90_000,
  requestAttempts: 4,
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  maxInlineWaitMs: 60_000,
  jobWallMs: 30 * 60_000,
  maxOutputTokens: 8192,
  breakerFailures: 4,
  probeMs: 30_000,
  probeMaxMs: 300_000,
  watchMs: 5000,
  attachPdfMaxBytes: 20 * MiB,
  attachPdfMaxPages: 100,
  imageMaxEdgePx: 1568,
  imageMaxBytes: 3.75 * MiB,
  attachTextMaxChars: 60_000,
  readTextMaxChars: 40_000,
  writeMaxBytes: 5 * MiB,
  logTextMaxChars: 2000,
  outputCopyMaxBytes: 256 * MiB,
  outputCopyMaxFiles: 5000,
  inputCopyMaxBytes: 256 * MiB,
  inputCopyMaxFiles: 5000,
};

export const agentSettings: AgentSettings = { ...defaults };

/** Changes some limits for this process (tests, the benchmark); `tuneAgent()` restores the defaults. */
export function tuneAgent(changes?: Partial<AgentSettings>): void {
  Object.assign(agentSettings, defaults, changes ?? {});
}
