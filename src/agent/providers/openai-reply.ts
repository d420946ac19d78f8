/**
 * A chat-completions answer, streamed or whole, as the Messages API's answer the loop reads:
 * reasoning (`reasoning_content` of DeepSeek, vLLM and llama.cpp; `reasoning` of Ollama and
 * OpenRouter) as a thinking block, text, then the tool calls, whose arguments arrive in pieces
 * across chunks (index, then id and name once, then arguments in any number of slices).
 * Arguments that do not parse are marked (tool-input.ts) and answered as a tool error.
 * `finish_reason: length` is the loop's `max_tokens`; `content_filter` its `refusal`.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { markMalformed, markWellFormed } from '../tool-input.js';

interface CallSoFar {
  id: string;
  name: string;
  args: string;
}

/** The fields some servers add beside the standard ones. */
interface Reasoning {
  reasoning_content?: string | null;
  reasoning?: string | null;
}

const STOP: Record<string, Anthropic.StopReason> = { tool_calls: 'tool_use', function_call: 'tool_use', length: 'max_tokens', content_filter: 'refusal', stop: 'end_turn' };

export class ChatReply {
  private text = '';
  private thinking = '';
  private readonly calls: CallSoFar[] = [];
  private finish: string | null = null;
  private refusal = '';
  private usage: OpenAI.CompletionUsage | undefined;
  private id = '';
  private model: string;

  constructor(model: string) {
    this.model = model;
  }

  /** One streamed chunk. */
  chunk(c: OpenAI.Chat.ChatCompletionChunk): void {
    this.id ||= c.id;
    if (c.model) this.model = c.model;
    if (c.usage) this.usage = c.usage;
    const choice = c.choices[0];
    if (!choice) return;
    const d = choice.delta as OpenAI.Chat.ChatCompletionChunk.Choice.Delta & Reasoning;
    this.text += d.content ?? '';
    this.thinking += d.reasoning_content ?? d.reasoning ?? '';
    this.refusal += d.refusal ?? '';
    for (const t of d.tool_calls ?? []) {
      const at = t.index ?? this.calls.length;
      const call = (this.calls[at] ??= { id: '', name: '', args: '' });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.name += t.function.name;
      const args: unknown = t.function?.arguments;
      if (args !== undefined && args !== null) call.args += typeof args === 'string' ? args : JSON.stringify(args);
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  /** A whole (not streamed) completion. */
  whole(c: OpenAI.Chat.ChatCompletion): void {
    this.id = c.id;
    this.model = c.model || this.model;
    this.usage = c.usage;
    const choice = c.choices[0];
    if (!choice) return;
    const m = choice.message as OpenAI.Chat.ChatCompletionMessage & Reasoning;
    this.text = m.content ?? '';
    this.thinking = m.reasoning_content ?? m.reasoning ?? '';
    this.refusal = m.refusal ?? '';
    for (const t of m.tool_calls ?? []) {
      if (t.type !== 'function') continue;
      const args: unknown = t.function.arguments;
      this.calls.push({ id: t.id, name: t.function.name, args: typeof args === 'string' ? args : JSON.stringify(args ?? {}) });
    }
    this.finish = choice.finish_reason;
  }

  /** True once any usage was reported (some servers report none). */
  get hasUsage(): boolean {
    return this.usage !== undefined;
  }

  message(estimate: { input: number }): Anthropic.Message {
    const content: Anthropic.ContentBlock[] = [];
    if (this.thinking.trim()) content.push({ type: 'thinking', thinking: this.thinking, signature: '' });
    if (this.text) content.push({ type: 'text', text: this.text, citations: null });
    if (this.refusal) content.push({ type: 'text', text: this.refusal, citations: null });
    this.calls.forEach((c, i) => {
      if (!c) return;
      const id = c.id || `call_${this.id || 'x'}_${i}`;
      let input: unknown = {};
      try {
        input = c.args.trim() === '' ? {} : JSON.parse(c.args);
        markWellFormed(id);
      } catch {
        markMalformed(id, c.args);
      }
      content.push({ type: 'tool_use', id, name: c.name, input, caller: { type: 'direct' } } as Anthropic.ToolUseBlock);
    });
    const hasCalls = content.some((b) => b.type === 'tool_use');
    const mapped = this.refusal ? 'refusal' : STOP[this.finish ?? 'stop'] ?? 'end_turn';
    // Ollama and others say `stop` with tool calls in the answer.
    const stop: Anthropic.StopReason = mapped === 'end_turn' && hasCalls ? 'tool_use' : mapped;
    const cached = this.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    // No usage reported: the request's estimate and the answer's characters stand in, so a cap still holds.
    const prompt = this.usage?.prompt_tokens ?? estimate.input;
    const output = this.usage?.completion_tokens ?? Math.max(1, Math.ceil((this.text.length + this.thinking.length + this.calls.reduce((n, c) => n + (c?.args.length ?? 0), 0)) / 4));
    return {
      id: this.id || 'chatcmpl',
      type: 'message',
      role: 'assistant',
      model: this.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: { input_tokens: Math.max(0, prompt - cached), output_tokens: output, cache_read_input_tokens: cached, cache_creation_input_tokens: 0 },
    } as unknown as Anthropic.Message;
  }
}
