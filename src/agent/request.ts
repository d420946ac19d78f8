/**
 * One call to the model that never hangs and says why it failed, whatever the provider. Each
 * try streams (so a long answer is never cut by a proxy's idle limit) under three clocks: the
 * job's AbortSignal, a whole-request timeout, and an idle watchdog that ends a stream gone
 * silent (the SDKs' own timeouts stop once the headers arrive). Temporary failures are tried
 * again here with backoff, honouring retry-after; what is left over becomes a TransientError
 * for the queue, a KeyRejectedError (401/403), or an UnrecoverableError for a request the API
 * will never take. The provider says which kind a failure is (provider.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TransientError, UnrecoverableError } from '../errors.js';
import { backoffMs } from '../queue/backoff.js';
import { apiHealth } from './health.js';
import type { Failure, ModelReply, ModelRequest, Provider } from './provider.js';
import { agentSettings } from './settings.js';

export class KeyRejectedError extends Error {
  override name = 'KeyRejectedError';
  constructor(readonly status: number | null, message: string) {
    super(message);
  }
}

/** Our own clock ran out (idle stream, whole request, wall clock), as opposed to a cancel. */
class StalledError extends Error {}

/** What kind of failure this is; undefined for an error that is not the API's (a bug: let it surface). */
export function classify(provider: Provider, err: unknown): Failure | undefined {
  if (err instanceof StalledError) return { kind: 'transient', message: err.message };
  return provider.classify(err);
}

const secs = (ms: number): string => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

async function sendOnce(provider: Provider, params: ModelRequest, signal: AbortSignal, deadline: number): Promise<ModelReply> {
  const { idleTimeoutMs, requestTimeoutMs } = agentSettings;
  const own = new AbortController();
  let stalled: string | undefined;
  const stop = (why: string) => (): void => {
    stalled = why;
    own.abort();
  };
  const total = Math.max(1, Math.min(requestTimeoutMs, deadline - Date.now()));
  const totalTimer = setTimeout(stop(total < requestTimeoutMs ? 'the job ran out of time' : `no complete answer after ${secs(total)}`), total);
  let idleTimer = setTimeout(stop(`no answer for ${secs(idleTimeoutMs)}`), idleTimeoutMs);
  const onAbort = (): void => own.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await provider.send(params, {
      signal: own.signal,
      timeoutMs: total,
      onProgress: () => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(stop(`the answer stopped for ${secs(idleTimeoutMs)}`), idleTimeoutMs);
      },
    });
  } catch (err) {
    if (stalled && !signal.aborted) throw new StalledError(stalled);
    throw err;
  } finally {
    clearTimeout(totalTimer);
    clearTimeout(idleTimer);
    signal.removeEventListener('abort', onAbort);
  }
}

export interface CallOptions {
  signal: AbortSignal;
  /** The job's wall clock, ms since epoch. */
  deadline: number;
  /** Called before each wait, for the job's history. */
  onRetry?: (info: { attempt: number; message: string; waitMs: number }) => void;
}

export async function callModel(provider: Provider, params: ModelRequest, opts: CallOptions): Promise<ModelReply> {
  for (let attempt = 1; ; attempt++) {
    try {
      const message = await sendOnce(provider, params, opts.signal, opts.deadline);
      apiHealth.success();
      return message;
    } catch (err) {
      if (opts.signal.aborted) throw err;
      const failure = classify(provider, err);
      if (!failure) throw err;
      if (failure.kind === 'rejected') {
        // The API answered: it is up, only this key is not welcome.
        apiHealth.success();
        throw new KeyRejectedError(failure.status, failure.message);
      }
      if (failure.kind === 'fatal') throw new UnrecoverableError(`the API refused the request: ${failure.message}`);
      apiHealth.failure(failure.message, provider.name);
      const waitMs = Math.max(failure.retryAfterMs ?? 0, backoffMs(attempt, agentSettings.retryBaseMs, agentSettings.retryMaxMs));
      const lastTry = attempt >= agentSettings.requestAttempts || waitMs > agentSettings.maxInlineWaitMs || Date.now() + waitMs >= opts.deadline;
      if (lastTry) throw new TransientError(`the API did not answer after ${attempt} tries: ${failure.message}`, failure.retryAfterMs);
      opts.onRetry?.({ attempt, message: failure.message, waitMs });
      await sleep(waitMs, undefined, { signal: opts.signal });
    }
  }
}

/**
 * Is the API back? A 1-token message to the condition model: it tests the very endpoint the
 * jobs need (count_tokens can answer while messages are overloaded) for about $0.00001. Any
 * answer other than overload or a network failure means it is up; a 401 is the key's problem,
 * met by the jobs themselves.
 */
export async function probeApi(provider: Provider, model: string, signal: AbortSignal): Promise<boolean> {
  try {
    await provider.ping(model, signal);
    return true;
  } catch (err) {
    const f = classify(provider, err);
    return f !== undefined && f.kind !== 'transient';
  }
}
