/**
 * Is the API answering? Every request reports here; after `breakerFailures` failed requests
 * in a row (429, 5xx, 529, timeouts, resets, cut streams) with no success between, the API
 * counts as down until a request or a probe succeeds. The daemon plugin listens and pauses the
 * rules that need the model (the circuit breaker); deterministic rules never notice.
 */
import { isoTime } from '../human.js';
import { agentSettings } from './settings.js';

export type HealthListener = (down: boolean) => void;

export class ApiHealth {
  private failures = 0;
  private downSince: number | undefined;
  private last = '';
  /** The provider whose request failed last: the one a probe asks. */
  private lastProvider: string | undefined;
  /** When a request last got an answer; undefined until the first. */
  private answeredAt: number | undefined;
  private readonly listeners = new Set<HealthListener>();

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** Facts for `dropwork status`; times as ISO, which status says in the reader's own zone. */
  describe(): string {
    if (this.downSince !== undefined) return `down since ${isoTime(this.downSince)} (${this.last})`;
    // Nothing is known before the first request: "up" then would be a guess.
    const state = this.answeredAt === undefined ? 'not checked yet' : `up (last answer ${isoTime(this.answeredAt)})`;
    return this.failures ? `${state}; ${this.failures} failed request(s) in a row: ${this.last}` : state;
  }

  /** The provider (config's name) whose request failed last; undefined: the default one. */
  get failingProvider(): string | undefined {
    return this.lastProvider;
  }

  failure(message: string, provider?: string, now = Date.now()): void {
    this.failures += 1;
    this.last = message;
    this.lastProvider = provider;
    if (this.downSince === undefined && this.failures >= agentSettings.breakerFailures) {
      this.downSince = now;
      this.emit(true);
    }
  }

  success(now = Date.now()): void {
    this.failures = 0;
    this.answeredAt = now;
    if (this.downSince === undefined) return;
    this.downSince = undefined;
    this.emit(false);
  }

  onChange(fn: HealthListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Back to "up, never failed" (tests). */
  reset(): void {
    this.failures = 0;
    this.downSince = undefined;
    this.last = '';
    this.lastProvider = undefined;
    this.answeredAt = undefined;
  }

  private emit(down: boolean): void {
    for (const fn of this.listeners) {
      try {
        fn(down);
      } catch {
        /* a listener's failure must not fail the request that reported */
      }
    }
  }
}

/** One per process: the daemon's jobs share what they learn about the API. */
export const apiHealth = new ApiHealth();
