/**
 * The Messages API through @anthropic-ai/sdk: Anthropic's own, or any Anthropic-compatible
 * server named by `base_url` (or ANTHROPIC_BASE_URL). The SDK's own retries are off: request.ts
 * retries each request itself, so every failure lands in the job's history and the circuit
 * breaker sees it.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Credentials } from '../credentials.js';
import type { Failure, ModelReply, ModelRequest, Provider, ProviderSettings, SendOptions, Supports } from '../provider.js';
import { agentSettings } from '../settings.js';
import { StreamRecord } from '../tool-input.js';

const TRANSIENT_TYPES = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (ms > 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** What kind of failure an SDK error is; undefined for an error that is not the API's. */
export function classifyAnthropic(err: unknown): Failure | undefined {
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

export class AnthropicProvider implements Provider {
  readonly api = 'anthropic';
  readonly name: string;
  readonly origin: string;
  readonly supports: Supports;
  readonly client: Anthropic;

  constructor(settings: ProviderSettings, creds: Credentials) {
    const baseURL = settings.base_url ?? creds.baseURL;
    this.name = settings.name;
    this.origin = baseURL ? new URL(baseURL).origin : 'Anthropic API';
    this.supports = { tools: settings.tools, vision: settings.vision, pdf: settings.pdf, context: settings.context };
    this.client = new Anthropic({
      // Exactly one credential: passing it keeps the SDK from reading the environment for another.
      ...(creds.kind === 'authToken' ? { authToken: creds.value } : { apiKey: creds.kind === 'none' ? 'none' : creds.value }),
      ...(baseURL ? { baseURL } : {}),
      maxRetries: 0,
      timeout: agentSettings.requestTimeoutMs,
      logLevel: 'off',
    });
  }

  async send(params: ModelRequest, opts: SendOptions): Promise<ModelReply> {
    const record = new StreamRecord();
    const own = new AbortController();
    const onAbort = (): void => own.abort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const stream = this.client.messages.stream(params, { signal: own.signal, maxRetries: 0, timeout: opts.timeoutMs });
      stream.on('streamEvent', (event) => {
        record.on(event);
        opts.onProgress();
      });
      return await stream.finalMessage();
    } catch (err) {
      // A tool input that is not JSON: the model's slip, answered as a tool error (see tool-input.ts).
      const salvaged = opts.signal.aborted ? undefined : record.salvage();
      if (salvaged) {
        own.abort();
        return salvaged;
      }
      throw err;
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  async countTokens(params: ModelRequest, signal: AbortSignal): Promise<number | undefined> {
    const { model, messages, system, tools, tool_choice } = params;
    try {
      const r = await this.client.messages.countTokens(
        { model, messages, ...(system ? { system } : {}), ...(tools ? { tools } : {}), ...(tool_choice ? { tool_choice } : {}) },
        { signal, maxRetries: 0, timeout: 30_000 },
      );
      return r.input_tokens;
    } catch (err) {
      const f = classifyAnthropic(err);
      // A server without count_tokens (404, 400): the caller's estimate stands.
      if (f?.kind === 'fatal') return undefined;
      throw err;
    }
  }

  classify(err: unknown): Failure | undefined {
    return classifyAnthropic(err);
  }

  async ping(model: string, signal: AbortSignal): Promise<void> {
    await this.client.messages.create({ model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }, { signal, maxRetries: 0, timeout: 15_000 });
  }
}
