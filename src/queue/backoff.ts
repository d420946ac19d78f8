/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of
 * a burst of jobs spread out instead of hitting a busy disk or API together.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
