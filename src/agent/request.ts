/**
 * One call to the model that never hangs and says why it failed. Each try streams (so a long
 * answer is never cut by a proxy's idle limit) under three clocks: the job's AbortSignal, a
 * whole-request timeout, and an idle watchdog that ends a stream gone silent (the SDK's own
 * timeout stops once the headers arrive). Temporary failures are tried again here with
 * backoff, honouring retry-after; what is left over becomes a TransientError for the queue,
 * a KeyRejectedError (401/403), or an UnrecoverableError for a request the API will never take.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { TransientError, UnrecoverableError } from '../errors.js';
import { backoffMs } from '../queue/backoff.js';
import { apiHealth } from './health.js';
import { agentSettings } from './settings.js';
import { StreamRecord } from './tool-input.js';

export class KeyRejectedError extends Error {
  override name = 'KeyRejectedError';
  constructor(readonly status: number | null, message: string) {
    super(message);
  }
}

/** Our own clock ran out (idle stream, whole request, wall clock), as opposed to a cancel. */
class StalledError extends Error {}

type Failure =
  | { kind: 'transient'; message: string; retryAfterMs?: number | undefined }
  | { kind: 'rejected'; message: string; status: number | null }
  | { kind: 'fatal'; message: string };

const TRANSIENT_TYPES = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (ms > 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** What kind of failure this is; undefined for an error that is not the API's (a bug: let it surface). */
export function classify(err: unknown): Failure | undefined {
  if (err instanceof StalledError) return { kind: 'transient', message: err.message };
  if (err instanceof Anthropic.APIConnectionTimeoutError) return { kind: 'transient', message: 'the request timed out' };
  if (err instanceof Anthropic.APIUserAbortError) return undefined;
  if (err instanceof Anthropic.APIConnectionError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'transient', message: `could not reach the API${cause}` };
  }
  if (err instanceof Anthropic.APIError) {
    const what = `${err.status ? `HTTP ${err.status} ` : ''}${err.type ?? 'error'}${err.apiMessage ? `: ${err.apiMessage}` : ''}`;
    const status = err.status;
    if (status === 401 || status === 403) return { kind: 'rejected', message: what, status };
    // No status: an `event: error` in the middle of a stream.
    if (status === undefined) return TRANSIENT_TYPES.has(err.type ?? '') ? { kind: 'transient', message: `${what} (mid-response)` } : { kind: 'fatal', message: what };
    if (status === 408 || status === 409 || status === 429 || status >= 500) return { kind: 'transient', message: what, retryAfterMs: retryAfterMs(err.headers) };
    return { kind: 'fatal', message: what };
  }
  // A connection dropped mid-stream reaches us as undici's TypeError ("terminated"), sometimes wrapped.
  const cause = err instanceof Anthropic.AnthropicError ? err.cause : err;
  if (cause instanceof TypeError || (err instanceof Anthropic.AnthropicError && /terminated|socket|closed|reset|network/i.test(err.message))) {
    return { kind: 'transient', message: `the response was cut off (${(cause as Error | undefined)?.message ?? 'connection lost'})` };
  }
  if (err instanceof Anthropic.AnthropicError) return { kind: 'fatal', message: err.message };
  return undefined;
}

const secs = (ms: number): string => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

async function streamOnce(client: Anthropic, params: Anthropic.MessageStreamParams, signal: AbortSignal, deadline: number): Promise<Anthropic.Message> {
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
  const record = new StreamRecord();
  try {
    const stream = client.messages.stream(params, { signal: own.signal, maxRetries: 0, timeout: total });
    stream.on('streamEvent', (event) => {
      record.on(event);
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stop(`the answer stopped for ${secs(idleTimeoutMs)}`), idleTimeoutMs);
    });
    return await stream.finalMessage();
  } catch (err) {
    if (stalled && !signal.aborted) throw new StalledError(stalled);
    // A tool input that is not JSON: the model's slip, answered as a tool error (see tool-input.ts).
    const salvaged = signal.aborted ? undefined : record.salvage();
    if (salvaged) {
      own.abort();
      return salvaged;
    }
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
  /** Told of each failed try before the wait, for the job's history. */
  onRetry?: (info: { attempt: number; message: string; waitMs: number }) => void;
}


export async function callModel(client: Anthropic, params: Anthropic.MessageStreamParams, opts: CallOptions): Promise<Anthropic.Message> {
  for (let attempt = 1; ; attempt++) {
    try {
      const message = await streamOnce(client, params, opts.signal, opts.deadline);
      apiHealth.success();
      return message;
    } catch (err) {
      if (opts.signal.aborted) throw err;
      const failure = classify(err);
      if (!failure) throw err;
      if (failure.kind === 'rejected') {
        // The API answered: it is up, only this key is not welcome.
        apiHealth.success();
        throw new KeyRejectedError(failure.status, failure.message);
      }
      if (failure.kind === 'fatal') throw new UnrecoverableError(`the API refused the request: ${failure.message}`);
      apiHealth.failure(failure.message);
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
export async function probeApi(client: Anthropic, model: string, signal: AbortSignal): Promise<boolean> {
  try {
    await client.messages.create({ model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }, { signal, maxRetries: 0, timeout: 15_000 });
    return true;
  } catch (err) {
    const f = classify(err);
    return f !== undefined && f.kind !== 'transient';
  }
}
