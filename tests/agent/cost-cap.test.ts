/**
 * max_cost_usd holds: a model that never stops calling tools, and spends every output token
 * it is allowed, ends at its cap (give or take one minimal answer), never a request beyond it.
 * The job runs through the real SDK against the messages server, whose token counts follow
 * the same ~4-characters rule as the estimate (an exact tokenizer is not available here).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_OUTPUT_TOKENS, PromptMeter, estimatePrompt, fitToCap, promptCost } from '../../src/agent/cost-cap.js';
import { priceFor } from '../../src/agent/pricing.js';
import { AnthropicProvider } from '../../src/agent/providers/anthropic.js';
import { TransientError } from '../../src/errors.js';
import { turn, type MessagesRequest, type MessagesServer, type Turn } from '../support/messages-server.js';
import { Harness, KEY, baseConfig, invoice, makeHome, serve, writeKey, writeRule } from './helpers.js';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

/** The Anthropic provider (src/agent/providers/anthropic.ts) at a test server. */
const anthropicAt = (url: string): AnthropicProvider => new AnthropicProvider(
  { name: 'default', api: 'anthropic', base_url: url, tools: true, vision: true, stream: true, prices: {}, pdf: true },
  { kind: 'apiKey', value: KEY, source: 'environment' },
);

const SONNET = priceFor('claude-sonnet-5-5').price;
/** One request's output at the cheapest setting: the tolerance the cap promises. */
const ONE_MINIMAL_OUTPUT = (MIN_OUTPUT_TOKENS * SONNET.output) / 1_000_000;

/**
 * A model that never finishes: every answer is a tool call, alternately writing a file and
 * reading it back, so the conversation grows. It writes up to 1,000 tokens a turn, and all of
 * max_tokens once that is less: the worst case at the cap.
 */
function greedy(req: MessagesRequest): Turn {
  if (req.body.tool_choice?.type === 'tool') return turn.forcedTool({ match: true, reason: 'It is a note.' });
  const n = req.body.messages.length;
  const name = `output/part-${Math.floor(n / 4)}.txt`;
  if (n % 4 === 3) return turn.toolUse({ name: 'read_file', input: { path: name } });
  const room = Math.max(0, Math.min(req.body.max_tokens, 1000) * 4 - 80);
  return turn.toolUse({ name: 'write_file', input: { path: name, content: 'x'.repeat(room) } });
}

async function capped(cap: number, rule: Record<string, unknown> = {}): Promise<{ spent: number; reason: string; requests: MessagesRequest[] }> {
  const home = makeHome();
  server = await serve({ onRequest: greedy });
  baseConfig(home, server);
  writeKey(home);
  writeRule(home, { name: 'notes', watch: 'inbox/notes', output: 'outputs/notes', do: 'Tidy these notes.', max_turns: 200, max_cost_usd: cap, ...rule });
  const note = path.join(home.dir, 'note.txt');
  fs.writeFileSync(note, 'Call Ana about the lease on Monday.\n'.repeat(40));
  h = new Harness(home);
  const job = await h.run('notes', note);
  expect(job.status).toBe('failed');
  // Every request's input was estimated on the safe side: never below what the server counted.
  const turns = h.store.logs(job.id).filter((e) => e.kind === 'usage' && e.data?.includes('estimated_input_tokens'))
    .map((e) => JSON.parse(e.data ?? '{}') as { estimated_input_tokens: number; input_tokens: number; cache_read_tokens: number; cache_write_tokens: number });
  expect(turns.length).toBe(server.messageRequests().filter((r) => r.body.model !== 'claude-haiku-4-5').length);
  for (const t of turns) expect(t.estimated_input_tokens).toBeGreaterThanOrEqual(t.input_tokens + t.cache_read_tokens + t.cache_write_tokens);
  return { spent: job.cost_usd, reason: job.reason ?? '', requests: server.messageRequests() };
}

describe('max_cost_usd', () => {
  for (const cap of [0.01, 0.05, 0.19]) {
    it(`ends a job that keeps calling tools at its cap of $${cap}`, async () => {
      const { spent, reason, requests } = await capped(cap);
      console.log(`max_cost_usd ${cap}: spent $${spent.toFixed(5)} in ${requests.length} requests`);
      expect(reason).toMatch(new RegExp(`over its max_cost_usd of \\$${cap.toFixed(3).replace('.', '\\.')}$`));
      expect(spent).toBeLessThanOrEqual(cap + ONE_MINIMAL_OUTPUT);
      // And it went as far as the cap allows, not stopping early by a wide margin.
      expect(spent).toBeGreaterThan(cap * 0.8);
      if (cap > 0.01) expect(requests.length).toBeGreaterThan(3);
      // Each request asked for no more answer than the budget had left.
      expect(Math.min(...requests.map((r) => r.body.max_tokens))).toBeGreaterThanOrEqual(MIN_OUTPUT_TOKENS);
    });
  }

  it('counts the if: check toward the same cap', async () => {
    const { spent, reason, requests } = await capped(0.05, { if: 'it is a note' });
    console.log(`max_cost_usd 0.05 with if:: spent $${spent.toFixed(5)} in ${requests.length} requests`);
    expect(requests[0]?.body.model).toBe('claude-haiku-4-5');
    expect(reason).toMatch(/over its max_cost_usd of \$0\.050$/);
    expect(spent).toBeLessThanOrEqual(0.05 + ONE_MINIMAL_OUTPUT);
  });

  it('stops before the if: check when even that cannot fit, asking nothing', async () => {
    const { spent, reason, requests } = await capped(0.0005, { if: 'it is a note' });
    expect(reason).toMatch(/^stopped: the if: check would cost about \$0\.\d+ or more \(\d+ tokens in\), over its max_cost_usd of \$0\.0005$/);
    expect(spent).toBe(0);
    expect(requests).toEqual([]);
  });

  it('counts a first request that carries a PDF with count_tokens, and sends nothing it cannot pay for', async () => {
    const home = makeHome();
    server = await serve({ onRequest: greedy });
    baseConfig(home, server);
    writeKey(home);
    // The PDF alone costs about $0.02 to send at Sonnet 5.5 prices (the server counts ~4 chars a token).
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'File this receipt.', max_cost_usd: 0.01 });
    h = new Harness(home);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status).toBe('failed');
    expect(job.reason).toMatch(/^stopped: its first request would cost about \$0\.0[2-9]\d* or more \(\d+ tokens in\), over its max_cost_usd of \$0\.010$/);
    expect(job.cost_usd).toBe(0);
    expect(server.messageRequests()).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/messages/count_tokens']);
  });
});

describe('the estimate', () => {
  it('prices new tokens at the cache-write rate and the warm prefix at the read rate', () => {
    const { inputUsd, outputUsdPerToken } = promptCost({ tokens: 11_000, cached: 10_000, how: 'estimated' }, SONNET);
    expect(inputUsd).toBeCloseTo((1000 * 2.5 + 10_000 * 0.1) / 1e6, 9);
    expect(outputUsdPerToken).toBeCloseTo(10 / 1e6, 12);
    // Haiku 5.5 bills a long prompt, answer included, at five times the rate.
    const long = promptCost({ tokens: 100_001, cached: 0, how: 'estimated' }, priceFor('claude-haiku-5-5').price);
    expect(long.outputUsdPerToken).toBeCloseTo((0.5 * 5) / 1e6, 12);
  });

  it('cuts max_tokens to what is left, and stops below the minimal answer', () => {
    const size = { tokens: 1000, cached: 0, how: 'estimated' } as const;
    // $0.01 - 1000 x $2.5/M = $0.0075 left: 750 tokens at $10/M.
    expect(fitToCap({ capUsd: 0.01, spentUsd: 0, size, price: SONNET, wanted: 8192, what: 'x' })).toBe(750);
    expect(fitToCap({ capUsd: 1, spentUsd: 0, size, price: SONNET, wanted: 8192, what: 'x' })).toBe(8192);
    expect(() => fitToCap({ capUsd: 0.01, spentUsd: 0.0071, size, price: SONNET, wanted: 8192, what: 'its next request' }))
      .toThrow('stopped: this job has cost $0.0071 and its next request would cost about $0.0031 or more (1000 tokens in), over its max_cost_usd of $0.010');
    // A free model (a local server priced at 0) is never stopped by the cap.
    expect(fitToCap({ capUsd: 0.01, spentUsd: 0.01, size, price: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, wanted: 8192, what: 'x' })).toBe(8192);
  });

  it('matches the server\'s count for text, and falls back to it when count_tokens is missing', async () => {
    const params = { model: 'm', max_tokens: 10, system: [{ type: 'text' as const, text: 'be brief', cache_control: { type: 'ephemeral' as const } }], messages: [{ role: 'user' as const, content: 'héllo wörld' }] };
    // 'héllo wörld' has two non-ASCII characters, each counted as a token.
    expect(estimatePrompt(params)).toBe(Math.ceil(JSON.stringify({ type: 'text', text: 'be brief' }).length / 4) + Math.ceil((JSON.stringify('héllo wörld').length + 6) / 4));
    const meter = new PromptMeter();
    const size = await meter.size(undefined as never, params, AbortSignal.timeout(1000));
    expect(size).toEqual({ tokens: estimatePrompt(params), cached: 0, how: 'estimated' });
  });
  it('counts a file with count_tokens; a server without it gets the estimate, one that is down a retry', async () => {
    const params = { model: 'm', max_tokens: 10, messages: [{ role: 'user' as const, content: [{ type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: 'A'.repeat(4000) } }] }] };
    server = await serve();
    expect(await new PromptMeter().size(anthropicAt(server.url), params, AbortSignal.timeout(5000))).toMatchObject({ how: 'counted' });
    // No count_tokens here (a 404, as from a server that has no such endpoint).
    const bare = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"not_found_error","message":"no"}}'));
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    try {
      const size = await new PromptMeter().size(anthropicAt(url), params, AbortSignal.timeout(5000));
      expect(size).toEqual({ tokens: estimatePrompt(params), cached: 0, how: 'estimated' });
    } finally {
      await new Promise((r) => bare.close(r));
    }
    // Nothing listens there any more: the API is unreachable, and the attempt is retried later.
    await expect(new PromptMeter().size(anthropicAt(url), params, AbortSignal.timeout(5000))).rejects.toBeInstanceOf(TransientError);
  });
});
