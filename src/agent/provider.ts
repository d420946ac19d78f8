/**
 * What the agent loop, the `if:` check and the cost cap talk to: a model provider. Two speak
 * to the world (providers/anthropic.ts: the Messages API through @anthropic-ai/sdk;
 * providers/openai.ts: chat completions through the official `openai` client, for Ollama,
 * llama.cpp, vLLM, LM Studio, OpenRouter, OpenAI, ...), behind this one small interface.
 *
 * The conversation keeps the Messages API's shape (text, images, PDFs, tool calls and
 * results, thinking, cache markers): it is the richer of the two, so nothing is lost on the
 * Anthropic side, and the OpenAI provider translates each request and answer at its edge.
 * Retries, timers and the circuit breaker are request.ts's, the same for every provider: a
 * provider makes one try and says what kind of failure an error is.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Config, NamedProvider } from '../config.js';
import { UnrecoverableError } from '../errors.js';
import type { Rule } from '../rules/rule.js';
import type { Credentials } from './credentials.js';

/** A request in the Messages API's shape, whichever API carries it. */
export type ModelRequest = Anthropic.MessageStreamParams;
/** An answer in the Messages API's shape: content blocks, stop_reason, usage. */
export type ModelReply = Anthropic.Message;

/** retry (later, or now with backoff) / wait for a new key / fail the job. */
export type Failure =
  | { kind: 'transient'; message: string; retryAfterMs?: number | undefined }
  | { kind: 'rejected'; message: string; status: number | null }
  | { kind: 'fatal'; message: string };

export interface SendOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** Called on every piece of the answer: the idle watchdog's heartbeat. */
  onProgress(): void;
}

/** What the model behind a provider can take. */
export interface Supports {
  tools: boolean;
  /** Images (and PDFs as documents, on the Anthropic API). */
  vision: boolean;
  /** PDFs as document blocks; otherwise their text. */
  pdf: boolean;
  /** The context window in tokens, when it is small enough to matter. */
  context?: number | undefined;
}

export interface Provider {
  /** `default` (config's `provider:`), or the name under `providers:`. */
  readonly name: string;
  readonly api: 'anthropic' | 'openai';
  /** Where requests go, for the history: an origin, never a key. */
  readonly origin: string;
  readonly supports: Supports;
  /** One try: the whole answer (streamed, when the provider streams). */
  send(params: ModelRequest, opts: SendOptions): Promise<ModelReply>;
  /** The server's count of a prompt's tokens; undefined when it has no way to count. Throws API errors. */
  countTokens(params: ModelRequest, signal: AbortSignal): Promise<number | undefined>;
  /** What kind of failure this is; undefined for an error that is not the API's (a bug: let it surface). */
  classify(err: unknown): Failure | undefined;
  /** A one-token request to `model`: throws when it was not answered. */
  ping(model: string, signal: AbortSignal): Promise<void>;
}

/** A provider as config.yaml describes it, with the default one filled in like the named ones. */
export interface ProviderSettings extends Omit<NamedProvider, 'model'> {
  name: string;
  model?: string | undefined;
  /** PDFs as documents (the default provider's `provider.pdf`). */
  pdf: boolean;
}

export const DEFAULT_PROVIDER = 'default';

export function providerSettings(config: Config, name: string | undefined): ProviderSettings {
  if (name === undefined || name === DEFAULT_PROVIDER) {
    return { name: DEFAULT_PROVIDER, api: 'anthropic', base_url: config.provider.base_url, tools: true, vision: true, stream: true, prices: {}, pdf: config.provider.pdf === 'document' };
  }
  const named = config.providers[name];
  if (!named) {
    const known = Object.keys(config.providers);
    throw new UnrecoverableError(`there is no provider named "${name}" in config.yaml's providers:${known.length ? ` (there are: ${known.join(', ')})` : ' (it has none)'}`);
  }
  return { ...named, name, pdf: named.api === 'anthropic' && named.vision };
}

/** The provider and model a rule's `do:` runs on. */
export function agentTarget(rule: Pick<Rule, 'model' | 'provider'>, config: Config): { settings: ProviderSettings; model: string } {
  const settings = providerSettings(config, rule.provider);
  return { settings, model: rule.model ?? settings.model ?? config.model };
}

/** The provider and model that decide `if:` conditions. */
export function conditionTarget(config: Config): { settings: ProviderSettings; model: string } {
  const settings = providerSettings(config, config.condition_provider);
  return { settings, model: config.condition_provider ? (settings.model ?? config.condition_model) : config.condition_model };
}

/** A server on this machine: it needs no key, and its tokens cost nothing unless priced. */
export function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** The provider for these settings and key. Loads the SDK it needs on first use. */
export async function openProvider(settings: ProviderSettings, creds: Credentials): Promise<Provider> {
  if (settings.api === 'openai') return new (await import('./providers/openai.js')).OpenAIProvider(settings, creds);
  return new (await import('./providers/anthropic.js')).AnthropicProvider(settings, creds);
}
