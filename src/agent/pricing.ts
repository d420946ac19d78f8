/**
 * What a request cost. Prices are USD per million tokens as Anthropic lists them on the date
 * below (platform.claude.com model pages and pricing); config's `prices:` overrides any model,
 * for a price change, a discount, or a model on another provider.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Config, ModelPrice } from '../config.js';
import { DEFAULT_PROVIDER, isLoopback, type ProviderSettings } from './provider.js';
import type { Usage } from '../queue/status.js';

export const PRICES_AS_OF = '2026-11-21';

export interface Price {
  input: number;
  output: number;
  /** Writing the 5-minute prompt cache (1.25 x input unless listed otherwise). */
  cacheWrite: number;
  /** Reading the prompt cache. */
  cacheRead: number;
  /** Haiku 5.5 bills every token of a request whose prompt passes `over` tokens at `factor` x. */
  longPrompt?: { over: number; factor: number };
}

const p = (input: number, output: number, cacheRead = input / 10, cacheWrite = input * 1.25): Price => ({ input, output, cacheWrite, cacheRead });

/** Longest matching prefix wins, so dated ids (claude-haiku-4-5-20251001) find their model. */
const TABLE: Record<string, Price> = {
  'claude-fable-5-1': p(10, 50),
  'claude-opus-5-5': p(4, 20),
  'claude-opus-5': p(5, 25),
  'claude-opus-4': p(5, 25),
  // Sonnet 5.5's cache reads went from $0.20 to $0.10 on 2026-10-07.
  'claude-sonnet-5-5': p(2, 10, 0.1, 2.5),
  'claude-sonnet-5': p(2, 10, 0.2, 2.5),
  'claude-sonnet-4-6': p(3, 15),
  'claude-sonnet-4': p(3, 15),
  'claude-haiku-5-5': { ...p(0.1, 0.5, 0.01, 0.125), longPrompt: { over: 100_000, factor: 5 } },
  'claude-haiku-4-5': p(1, 5),
};

/** An unknown model is counted at the dearest known price, so a budget is never overrun by a guess. */
const UNKNOWN = p(10, 50);

export interface PriceLookup {
  price: Price;
  /** Where the price came from, for the job's history. */
  source: 'config' | 'table' | 'unknown' | 'local';
}

const FREE: Price = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 };

/** A price of config.yaml; chat-completions servers bill no cache writes, so those cost what input does. */
function configured(own: ModelPrice, api: 'anthropic' | 'openai'): Price {
  const write = api === 'openai' ? own.input : own.input * 1.25;
  return { input: own.input, output: own.output, cacheWrite: own.cache_write ?? write, cacheRead: own.cache_read ?? own.input / 10 };
}

/**
 * A model's price: the provider's own `prices:`, then config's `prices:`, then $0 for a server
 * on this machine, then Anthropic's list (the Anthropic API only), then the dearest known price.
 */
export function priceFor(model: string, overrides: Config['prices'] = {}, provider?: Pick<ProviderSettings, 'name' | 'api' | 'prices' | 'base_url'>): PriceLookup {
  const api = provider?.api ?? 'anthropic';
  const own = provider?.prices[model] ?? overrides[model];
  if (own) return { price: configured(own, api), source: 'config' };
  // Named providers only: the default one (a proxy in front of Anthropic, say) keeps Anthropic's prices, as before.
  if (provider && provider.name !== DEFAULT_PROVIDER && isLoopback(provider.base_url)) return { price: FREE, source: 'local' };
  if (api === 'openai') return { price: UNKNOWN, source: 'unknown' };
  const key = Object.keys(TABLE).filter((k) => model === k || model.startsWith(`${k}-`)).sort((a, b) => b.length - a.length)[0];
  return key ? { price: TABLE[key] as Price, source: 'table' } : { price: UNKNOWN, source: 'unknown' };
}

/** Usage of one response, in the store's shape, with its cost. */
export function usageOf(u: Anthropic.Usage, price: Price): Usage {
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  const cacheRead = u.cache_read_input_tokens ?? 0;
  // 1-hour cache writes cost 2 x input; the agent only writes 5-minute ones, but a proxy may not.
  const oneHour = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const prompt = u.input_tokens + cacheWrite + cacheRead;
  const factor = price.longPrompt && prompt > price.longPrompt.over ? price.longPrompt.factor : 1;
  const usd =
    (u.input_tokens * price.input +
      u.output_tokens * price.output +
      (cacheWrite - oneHour) * price.cacheWrite +
      oneHour * price.input * 2 +
      cacheRead * price.cacheRead) * factor / 1_000_000;
  return {
    input_tokens: u.input_tokens,
    output_tokens: u.output_tokens,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    cost_usd: usd,
  };
}

export function formatUsd(usd: number): string {
  return `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(usd < 1 ? 3 : 2)}`;
}
