/**
 * Token accounting for the test server: a deterministic estimate, not a tokenizer.
 *
 * A request is read as the API reads it for caching: tools, then system, then messages, each
 * split into blocks ("segments"). Every segment costs ceil(chars / 4) of its JSON with
 * `cache_control` left out, so moving a cache marker never changes the count. The counts are
 * consistent with each other, which is what tests can rely on:
 * `count_tokens(req) === input_tokens + cache_creation_input_tokens + cache_read_input_tokens`.
 */
import { createHash } from 'node:crypto';

/** ceil(chars / 4): the usual rule of thumb for English text. An estimate, never exact. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

type Ttl = '5m' | '1h';

interface Segment {
  /** What the prompt cache compares: the block without its marker, tagged with where it sits. */
  key: string;
  tokens: number;
  /** Set when this block carries `cache_control`. */
  breakpoint: Ttl | null;
}

export interface InputUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ttlOf(marker: unknown): Ttl | null {
  if (!isRecord(marker) || marker['type'] !== 'ephemeral') return null;
  return marker['ttl'] === '1h' ? '1h' : '5m';
}

function segment(where: string, block: unknown): Segment {
  let breakpoint: Ttl | null = null;
  let content = block;
  if (isRecord(block) && 'cache_control' in block) {
    const { cache_control: marker, ...rest } = block;
    breakpoint = ttlOf(marker);
    content = rest;
  }
  const json = JSON.stringify(content) ?? '';
  return { key: `${where}:${json}`, tokens: estimateTokens(json), breakpoint };
}

function segmentsOf(body: unknown): Segment[] {
  if (!isRecord(body)) return [];
  const segments: Segment[] = [];
  const tools = body['tools'];
  if (Array.isArray(tools)) for (const tool of tools) segments.push(segment('tool', tool));
  const system = body['system'];
  if (Array.isArray(system)) for (const block of system) segments.push(segment('system', block));
  else if (system !== undefined) segments.push(segment('system', system));
  const messages = body['messages'];
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (!isRecord(message)) continue;
      const role = String(message['role']);
      const content = message['content'];
      if (Array.isArray(content)) for (const block of content) segments.push(segment(role, block));
      else segments.push(segment(role, content));
    }
  }
  // Top-level `cache_control` is automatic caching: the API places the marker on the last block.
  const auto = ttlOf(body['cache_control']);
  const last = segments.at(-1);
  if (auto && last && !last.breakpoint) last.breakpoint = auto;
  return segments;
}

/** What `POST /v1/messages/count_tokens` answers for this body. */
export function countInputTokens(body: unknown): number {
  return segmentsOf(body).reduce((sum, s) => sum + s.tokens, 0);
}

/**
 * A per-server prompt cache. Simplified from the API on purpose: no minimum cacheable length
 * (1024 tokens in the API) and no expiry, so a test sees a cache write on the first request
 * and a read on the next identical prefix without padding prompts or waiting.
 */
export class PromptCache {
  readonly #written = new Set<string>();

  /** Splits the input tokens of a request into uncached, written and read parts, and records writes. */
  account(model: string, body: unknown): InputUsage {
    const segments = segmentsOf(body);
    const total = segments.reduce((sum, s) => sum + s.tokens, 0);
    const lastBreakpoint = segments.findLastIndex((s) => s.breakpoint !== null);
    const usage: InputUsage = {
      input_tokens: total,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    };
    if (lastBreakpoint < 0) return usage;

    // One running hash over the prefix; `copy()` gives the digest at every block boundary.
    const hash = createHash('sha256').update(model);
    let prefixTokens = 0;
    let readTokens = 0;
    const writes: string[] = [];
    for (const [i, s] of segments.slice(0, lastBreakpoint + 1).entries()) {
      hash.update(`${s.key}\u0000`);
      prefixTokens += s.tokens;
      const digest = hash.copy().digest('hex');
      // The API looks back from a marker for the longest prefix it already holds, so a
      // conversation that moves its marker forward still reads what the last turn wrote.
      if (this.#written.has(digest)) readTokens = prefixTokens;
      if (s.breakpoint !== null || i === lastBreakpoint) writes.push(digest);
    }
    for (const digest of writes) this.#written.add(digest);

    const created = prefixTokens - readTokens;
    const ttl = segments[lastBreakpoint]?.breakpoint ?? '5m';
    usage.input_tokens = total - prefixTokens;
    usage.cache_read_input_tokens = readTokens;
    usage.cache_creation_input_tokens = created;
    if (ttl === '1h') usage.cache_creation.ephemeral_1h_input_tokens = created;
    else usage.cache_creation.ephemeral_5m_input_tokens = created;
    return usage;
  }
}
