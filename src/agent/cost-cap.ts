/**
 * A job's `max_cost_usd`, held before each request is paid rather than noticed after: a
 * request is sent only when its input (estimated) plus at least MIN_OUTPUT_TOKENS of answer
 * fit in what is left, and its `max_tokens` is cut to what is left after the input. The `if:`
 * check and the agent's turns draw on the same cap. What can still go over is only the error
 * of the input estimate, which is made on the safe side (new tokens at the cache-write price).
 *
 * The estimate: the previous request's input tokens, as the API counted them, plus what was
 * added since at ~4 characters a token (one a character for non-ASCII text, which tokenizes
 * densely). A request carrying an image or a PDF is counted by `count_tokens` instead: their
 * tokens cannot be guessed from their bytes (a 500 KB photo is ~1,600 tokens). count_tokens is
 * free, but a second upload of the whole prompt, so it is used only then; a server without it
 * gets the character estimate, which overcounts files (safe); an API that is down makes the
 * attempt a retry, as a failed request would.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { TransientError, UnrecoverableError } from '../errors.js';
import { apiHealth } from './health.js';
import { formatUsd, type Price } from './pricing.js';
import type { Provider } from './provider.js';
import { KeyRejectedError, classify } from './request.js';

/** The smallest answer worth asking for: below it the job stops instead. */
export const MIN_OUTPUT_TOKENS = 64;

/** The API's tool-use system prompt, about 350 tokens, is billed but not in the request body. */
const TOOL_PROMPT_TOKENS = 500;

/** The prompt cache lives 5 minutes from its last use; a little less, to be safe. */
const CACHE_WARM_MS = 4 * 60_000;

/** The API looks back at most 20 blocks from a cache marker for an earlier cached prefix. */
const CACHE_LOOKBACK_BLOCKS = 20;

export interface PromptSize {
  tokens: number;
  /** Of which the API should read from its prompt cache (written by the previous request). */
  cached: number;
  how: 'counted' | 'estimated';
}

/** Tokens of one JSON-able value at ~4 ASCII characters a token; `cache_control` is not counted. */
export function estimateTokens(value: unknown): number {
  let v = value;
  if (v && typeof v === 'object' && !Array.isArray(v) && 'cache_control' in v) {
    const { cache_control: _marker, ...rest } = v as Record<string, unknown>;
    v = rest;
  }
  const json = JSON.stringify(v) ?? '';
  let wide = 0;
  for (let i = 0; i < json.length; i++) if (json.charCodeAt(i) > 0x7f) wide++;
  return Math.ceil((json.length + 3 * wide) / 4);
}

function blocksOf(message: Anthropic.MessageParam): unknown[] {
  return typeof message.content === 'string' ? [message.content] : message.content;
}

function estimateMessages(messages: Anthropic.MessageParam[]): number {
  return messages.reduce((sum, m) => sum + blocksOf(m).reduce<number>((s, b) => s + estimateTokens(b), 0), 0);
}

/** The whole request by the character rule, as for a first request without files. */
export function estimatePrompt(params: Anthropic.MessageStreamParams): number {
  const tools = params.tools ?? [];
  const system = params.system === undefined ? [] : Array.isArray(params.system) ? params.system : [params.system];
  return tools.reduce((s, t) => s + estimateTokens(t), 0) + system.reduce((s, b) => s + estimateTokens(b), 0)
    + estimateMessages(params.messages) + (tools.length ? TOOL_PROMPT_TOKENS : 0);
}

function carriesFiles(messages: Anthropic.MessageParam[]): boolean {
  const isFile = (b: unknown): boolean => {
    if (!b || typeof b !== 'object') return false;
    const type = (b as { type?: unknown }).type;
    if (type === 'image' || type === 'document') return true;
    const inner = (b as { content?: unknown }).content;
    return type === 'tool_result' && Array.isArray(inner) && inner.some(isFile);
  };
  return messages.some((m) => blocksOf(m).some(isFile));
}

/** The server's count, or undefined when this server cannot count (then the estimate stands). */
async function countTokens(provider: Provider, params: Anthropic.MessageStreamParams, signal: AbortSignal): Promise<number | undefined> {
  try {
    return await provider.countTokens(params, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    // A refused key is the job's answer already: asking the messages endpoint too would only
    // be refused again.
    const failure = classify(provider, err);
    if (failure?.kind === 'rejected') throw new KeyRejectedError(failure.status, failure.message);
    // An API that is down now: the job tries again later (the characters of a file would
    // overcount it many times and could stop it for good).
    if (failure?.kind === 'transient') {
      apiHealth.failure(failure.message, provider.name);
      throw new TransientError(`the API did not answer (count_tokens): ${failure.message}`, failure.retryAfterMs);
    }
    // A server without count_tokens: the estimate stands.
    return undefined;
  }
}

/** Remembers what the API said of the last request, to estimate the next one of a conversation. */
export class PromptMeter {
  #last: { tokens: number; cached: number; output: number; messages: number; at: number } | undefined;

  async size(provider: Provider, params: Anthropic.MessageStreamParams, signal: AbortSignal): Promise<PromptSize> {
    const last = this.#last;
    const added = last ? params.messages.slice(last.messages) : params.messages;
    const addedBlocks = added.reduce((n, m) => n + blocksOf(m).length, 0);
    const cached = last && Date.now() - last.at < CACHE_WARM_MS && addedBlocks < CACHE_LOOKBACK_BLOCKS ? last.cached : 0;
    if (carriesFiles(added)) {
      // The API's count includes its tool-use prompt.
      const counted = await countTokens(provider, params, signal);
      if (counted !== undefined) return { tokens: counted, cached, how: 'counted' };
    }
    if (!last) return { tokens: estimatePrompt(params), cached: 0, how: 'estimated' };
    // The model's own reply comes back as input: at least as many tokens as it was as output.
    const [reply, ...rest] = added;
    const replyTokens = reply?.role === 'assistant' ? Math.max(last.output, estimateMessages([reply])) : estimateMessages(reply ? [reply] : []);
    return { tokens: last.tokens + replyTokens + estimateMessages(rest), cached, how: 'estimated' };
  }

  /** After a request: its prompt as the API counted it. `sentAt` is when it was sent. */
  sent(params: Anthropic.MessageStreamParams, usage: Anthropic.Usage, sentAt: number): void {
    const cached = (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
    this.#last = { tokens: usage.input_tokens + cached, cached, output: usage.output_tokens, messages: params.messages.length, at: sentAt };
  }
}

/** What sending a prompt of this size costs before any answer, and what each answer token costs then. */
export function promptCost(size: PromptSize, price: Price): { inputUsd: number; outputUsdPerToken: number } {
  const factor = price.longPrompt && size.tokens > price.longPrompt.over ? price.longPrompt.factor : 1;
  // New tokens are written to the cache (the newest block carries the marker) or, on a short
  // prompt, billed as plain input: the dearer of the two.
  const fresh = (size.tokens - size.cached) * Math.max(price.input, price.cacheWrite);
  return { inputUsd: ((fresh + size.cached * price.cacheRead) * factor) / 1_000_000, outputUsdPerToken: (price.output * factor) / 1_000_000 };
}

export interface Fit {
  capUsd: number;
  spentUsd: number;
  size: PromptSize;
  price: Price;
  /** The max_tokens the request would like. */
  wanted: number;
  /** "the if: check", "its next request": what is about to be asked, for the reason. */
  what: string;
}

/** The request's max_tokens within the cap; stops the job when not even a short answer fits. */
export function fitToCap(f: Fit): number {
  const { inputUsd, outputUsdPerToken } = promptCost(f.size, f.price);
  const left = f.capUsd - f.spentUsd - inputUsd;
  // The nudge keeps float dust ($0.0075 / $0.00001 = 749.9999...) from costing a token.
  const affordable = outputUsdPerToken > 0 ? Math.floor(left / outputUsdPerToken + 1e-6) : left >= 0 ? f.wanted : -1;
  const maxTokens = Math.min(f.wanted, affordable);
  if (maxTokens < MIN_OUTPUT_TOKENS) {
    const spent = f.spentUsd > 0 ? `this job has cost ${formatUsd(f.spentUsd)} and ` : '';
    throw new UnrecoverableError(`stopped: ${spent}${f.what} would cost about ${formatUsd(inputUsd + MIN_OUTPUT_TOKENS * outputUsdPerToken)} or more (${f.size.tokens} tokens in), over its max_cost_usd of ${formatUsd(f.capUsd)}`);
  }
  return maxTokens;
}
