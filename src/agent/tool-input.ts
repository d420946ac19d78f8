/**
 * Tool input as the model sent it, which a hostile or confused model can get wrong: JSON that
 * does not parse (the SDK then throws in the middle of the stream, which used to fail the job
 * as "the API refused the request"), a value that is not an object, or megabytes of it. Each
 * becomes an error result for that call, so the model can try again; none ends the job.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { clip } from '../nofollow.js';
import { agentSettings } from './settings.js';

/** Calls whose input did not parse, by tool_use id, with the start of what was sent. */
const malformed = new Map<string, string>();

/** Read once, by the loop: servers reuse call ids (a local one counts from call_0 again), so none may linger. */
export function malformedInput(id: string): string | undefined {
  const sent = malformed.get(id);
  malformed.delete(id);
  return sent;
}

/** A call whose input did not parse (any provider): answered as a tool error, with the start of what was sent. */
export function markMalformed(id: string, sent: string): void {
  malformed.set(id, clip(sent, 200));
}

/** A call whose input parsed: whatever an earlier call of the same id left is not about it. */
export function markWellFormed(id: string): void {
  malformed.delete(id);
}

/** Follows a stream's raw events, so a message can be rebuilt when the SDK chokes on a tool input. */
export class StreamRecord {
  private start: Anthropic.Message | undefined;
  private readonly blocks: ({ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; json: string })[] = [];

  on(event: Anthropic.RawMessageStreamEvent): void {
    if (event.type === 'message_start') this.start = event.message;
    else if (event.type === 'content_block_start') {
      const b = event.content_block;
      if (b.type === 'tool_use') this.blocks[event.index] = { type: 'tool_use', id: b.id, name: b.name, json: '' };
      else if (b.type === 'text') this.blocks[event.index] = { type: 'text', text: b.text };
    } else if (event.type === 'content_block_delta') {
      const b = this.blocks[event.index];
      if (b?.type === 'tool_use' && event.delta.type === 'input_json_delta') b.json += event.delta.partial_json;
      if (b?.type === 'text' && event.delta.type === 'text_delta') b.text += event.delta.text;
    }
  }

  /**
   * The message so far when a tool input is what broke the stream, with every call's input
   * parsed or marked malformed; undefined when the failure was something else.
   */
  salvage(): Anthropic.Message | undefined {
    if (!this.start) return undefined;
    let broken = false;
    const content: Anthropic.ContentBlock[] = [];
    for (const b of this.blocks) {
      if (!b) continue;
      if (b.type === 'text') { content.push({ type: 'text', text: b.text, citations: null }); continue; }
      let input: unknown;
      try {
        input = b.json === '' ? {} : JSON.parse(b.json);
        markWellFormed(b.id);
      } catch {
        broken = true;
        markMalformed(b.id, b.json);
        input = {};
      }
      content.push({ type: 'tool_use', id: b.id, name: b.name, input } as Anthropic.ToolUseBlock);
    }
    if (!broken) return undefined;
    return { ...this.start, content, stop_reason: 'tool_use', stop_sequence: null };
  }
}

/**
 * A call's input as it goes back to the API in the conversation: an object (the API takes
 * nothing else), and not megabytes long (it would be sent again with every later turn).
 */
export function inputForHistory(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return {};
  const size = JSON.stringify(input).length;
  if (size > 2 * agentSettings.writeMaxBytes) return { left_out: `an input of ${size} characters` };
  return input as Record<string, unknown>;
}
