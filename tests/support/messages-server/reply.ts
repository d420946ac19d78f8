/**
 * Builds the assistant message for a reply turn and writes it as JSON or as the SSE events that
 * stream it, in the shapes the SDK's own types declare (checked by the compiler, so an SDK
 * upgrade that changes them breaks the build here rather than a test somewhere else).
 */
import type { ServerResponse } from 'node:http';
import type Anthropic from '@anthropic-ai/sdk';
import type { MessagesRequest, ReplyTurn } from './turns.js';
import { estimateTokens, type InputUsage } from './usage.js';

/** A mistake in the script rather than in the client: the server answers 400 and records it. */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

export type ReplyBlock = Anthropic.TextBlock | Anthropic.ToolUseBlock;

/** Ids in the API's formats, counted per server so a test run is reproducible. */
export class IdSource {
  #next = 0;
  #make(prefix: string): string {
    this.#next += 1;
    return `${prefix}01${this.#next.toString(36).padStart(22, '0')}`;
  }
  message = (): string => this.#make('msg_');
  toolUse = (): string => this.#make('toolu_');
  request = (): string => this.#make('req_');
}

function textBlock(text: string): Anthropic.TextBlock {
  return { type: 'text', text, citations: null };
}

function toolUseBlock(id: string, name: string, input: Record<string, unknown>): Anthropic.ToolUseBlock {
  return { type: 'tool_use', id, name, input, caller: { type: 'direct' } };
}

export function replyContent(
  reply: ReplyTurn,
  req: MessagesRequest,
  ids: IdSource,
): { content: ReplyBlock[]; stopReason: Anthropic.StopReason } {
  switch (reply.kind) {
    case 'text':
      return { content: [textBlock(reply.text)], stopReason: reply.stopReason ?? 'end_turn' };
    case 'tool_use': {
      const lead = reply.text === undefined ? [] : [textBlock(reply.text)];
      const calls = reply.calls.map((c) => toolUseBlock(c.id ?? ids.toolUse(), c.name, c.input));
      return { content: [...lead, ...calls], stopReason: 'tool_use' };
    }
    case 'forced_tool': {
      const choice = req.body.tool_choice;
      if (choice?.type !== 'tool') {
        throw new ScriptError(`forced_tool turn, but the request's tool_choice is ${JSON.stringify(choice)}`);
      }
      return { content: [toolUseBlock(ids.toolUse(), choice.name, reply.input)], stopReason: 'tool_use' };
    }
  }
}

function outputTokens(content: ReplyBlock[]): number {
  const chars = content.map((b) => (b.type === 'text' ? b.text : JSON.stringify(b.input))).join('');
  // The API never reports 0 output tokens, even for an empty reply.
  return Math.max(1, estimateTokens(chars));
}

export function buildMessage(
  reply: ReplyTurn,
  req: MessagesRequest,
  input: InputUsage,
  ids: IdSource,
): Anthropic.Message {
  const { content, stopReason } = replyContent(reply, req, ids);
  return {
    id: ids.message(),
    type: 'message',
    role: 'assistant',
    model: req.body.model,
    content,
    container: null,
    diagnostics: null,
    stop_reason: stopReason,
    stop_details: null,
    stop_sequence: null,
    usage: {
      ...input,
      output_tokens: outputTokens(content),
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    },
  } satisfies Anthropic.Message;
}

export interface SseEvent {
  event: string;
  data: Anthropic.RawMessageStreamEvent | { type: 'ping' };
}

/** Splits into at least three pieces when it can, so clients must really reassemble. */
function pieces(text: string, maxPiece: number): string[] {
  const size = Math.max(1, Math.min(maxPiece, Math.ceil(text.length / 3)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function event(data: SseEvent['data']): SseEvent {
  return { event: data.type, data };
}

/** The event sequence the API streams for `message`, ping included. */
export function streamEvents(message: Anthropic.Message): SseEvent[] {
  const { usage } = message;
  // message_start carries the input side of usage and a placeholder output count, as the API does.
  const events = [
    event({
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
    }),
  ];
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(event({ type: 'content_block_start', index, content_block: { ...block, text: '' } }));
      if (index === 0) events.push(event({ type: 'ping' }));
      for (const text of pieces(block.text, 12)) {
        events.push(event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }));
      }
    } else if (block.type === 'tool_use') {
      events.push(event({ type: 'content_block_start', index, content_block: { ...block, input: {} } }));
      if (index === 0) events.push(event({ type: 'ping' }));
      // The API opens every tool input with an empty partial_json before the real chunks.
      for (const partial_json of ['', ...pieces(JSON.stringify(block.input), 10)]) {
        const delta = { type: 'input_json_delta', partial_json } as const;
        events.push(event({ type: 'content_block_delta', index, delta }));
      }
    }
    events.push(event({ type: 'content_block_stop', index }));
  });
  events.push(
    event({
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens_details: null,
        server_tool_use: null,
      },
    }),
    event({ type: 'message_stop' }),
  );
  return events;
}

export function sseFrame(e: { event: string; data: unknown }): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** How a reply goes wrong on the wire. Counts are events for SSE, including `ping`. */
export interface WireFault {
  /** Destroy the socket after this many events; for JSON, after half the body. */
  cutAfter?: number;
  /** End the stream with `event: error` after this many events. */
  errorAfter?: { events: number; type: Anthropic.ErrorType };
  /** Send nothing after this many events (for JSON: after the headers) until `hangUp`. */
  stallAfter?: number;
}

export interface WireOptions {
  stream: boolean;
  requestId: string;
  /** Aborts when the client hangs up or the server closes. */
  hangUp: AbortSignal;
  fault?: WireFault;
}

/** Resolves once the bytes are handed to the kernel, so a cut right after them still delivers them. */
function write(res: ServerResponse, chunk: string): Promise<boolean> {
  return new Promise((resolve) => res.write(chunk, (err) => resolve(!err)));
}

function until(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export async function writeMessage(
  res: ServerResponse,
  message: Anthropic.Message,
  opts: WireOptions,
): Promise<void> {
  const { fault, hangUp } = opts;
  if (!opts.stream) {
    const json = JSON.stringify(message);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
      'request-id': opts.requestId,
    });
    if (fault?.stallAfter !== undefined) return until(hangUp);
    if (fault?.cutAfter === undefined) return void res.end(json);
    await write(res, json.slice(0, json.length >> 1));
    return void res.socket?.destroy();
  }
  // No content-length means chunked encoding, so a destroyed socket reads as a truncation, not a clean end.
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': opts.requestId });
  for (const [i, e] of streamEvents(message).entries()) {
    if (i === fault?.cutAfter) return void res.socket?.destroy();
    if (i === fault?.stallAfter) return until(hangUp);
    if (i === fault?.errorAfter?.events) {
      const error = { type: fault.errorAfter.type, message: 'Overloaded' };
      await write(res, sseFrame({ event: 'error', data: { type: 'error', error } }));
      return void res.end();
    }
    if (!(await write(res, sseFrame(e)))) return;
  }
  // A count past the last event still cuts or stalls: before the chunked terminator.
  if (fault?.cutAfter !== undefined) return void res.socket?.destroy();
  if (fault?.stallAfter !== undefined) return until(hangUp);
  res.end();
}
