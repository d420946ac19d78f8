/**
 * The one backoff formula, for a job's retries (worker), an API request's tries (agent/request)
 * and the probes of a down API (agent/plugin): exponential from `baseMs`, capped at `maxMs`,
 * with "equal jitter": half the delay is fixed, half random, so retries of a burst of jobs
 * spread out instead of hitting a busy disk or API together. `attempt` counts from 1.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
