/**
 * A request in the Messages API's shape as chat completions: the system prompt as a system
 * message, tools as functions, tool results as `tool` messages right after the call they
 * answer, images as data URLs. What chat completions has no place for is left out on purpose:
 * cache markers (servers cache prefixes by themselves), thinking (sent back it confuses most
 * servers, and DeepSeek refuses it). Images inside a tool result follow in a user message,
 * since a `tool` message carries text only.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
type Part = OpenAI.Chat.ChatCompletionContentPartText | OpenAI.Chat.ChatCompletionContentPartImage;

function systemText(system: Anthropic.MessageStreamParams['system']): string {
  if (system === undefined) return '';
  return typeof system === 'string' ? system : system.map((b) => b.text).join('\n\n');
}

/** One content block as a user-message part (PDFs reach here only by mistake: they go as text to this API). */
function part(b: unknown): Part {
  const block = b as { type?: string; text?: string; source?: { type?: string; media_type?: string; data?: string; url?: string } };
  if (block.type === 'text') return { type: 'text', text: block.text ?? '' };
  if (block.type === 'image' && block.source?.type === 'base64') return { type: 'image_url', image_url: { url: `data:${block.source.media_type ?? 'image/png'};base64,${block.source.data ?? ''}` } };
  if (block.type === 'image' && block.source?.type === 'url') return { type: 'image_url', image_url: { url: block.source.url ?? '' } };
  return { type: 'text', text: `[a ${block.type ?? 'block'} this server cannot take was left out]` };
}

/** Parts as the content of a user message: a plain string when it is all text (some servers take nothing else). */
function userContent(parts: Part[]): string | Part[] {
  return parts.every((p) => p.type === 'text') ? parts.map((p) => (p as OpenAI.Chat.ChatCompletionContentPartText).text).join('\n\n') : parts;
}

function userMessages(content: Anthropic.MessageParam['content']): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: ChatMessage[] = [];
  const rest: Part[] = [];
  const images: Part[] = [];
  for (const b of content) {
    if (b.type === 'tool_result') {
      const inner = typeof b.content === 'string' ? [{ type: 'text' as const, text: b.content }] : (b.content ?? []);
      const text = inner.filter((x) => x.type === 'text').map((x) => (x as Anthropic.TextBlockParam).text).join('\n');
      const pictures = inner.filter((x) => x.type === 'image').map(part);
      images.push(...pictures);
      const note = pictures.length ? `${text ? '\n' : ''}[${pictures.length} image(s): in the next message]` : '';
      out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: `${b.is_error ? 'error: ' : ''}${text}${note}` || '(no output)' });
    } else rest.push(part(b));
  }
  if (images.length) out.push({ role: 'user', content: [{ type: 'text', text: 'The image(s) the tool returned:' }, ...images] });
  if (rest.length) out.push({ role: 'user', content: userContent(rest) });
  return out;
}

function assistantMessage(content: Anthropic.MessageParam['content']): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const text = content.filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlockParam).text).join('\n');
  const calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = [];
  for (const b of content) {
    if (b.type === 'tool_use') calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
  }
  return { role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) };
}

function toolChoice(choice: Anthropic.MessageStreamParams['tool_choice']): OpenAI.Chat.ChatCompletionToolChoiceOption | undefined {
  if (!choice) return undefined;
  if (choice.type === 'tool') return { type: 'function', function: { name: choice.name } };
  if (choice.type === 'any') return 'required';
  if (choice.type === 'none') return 'none';
  return 'auto';
}

export function chatRequest(params: Anthropic.MessageStreamParams): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  const messages: ChatMessage[] = [];
  const system = systemText(params.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of params.messages) {
    if (m.role === 'assistant') messages.push(assistantMessage(m.content));
    else messages.push(...userMessages(m.content));
  }
  const tools: OpenAI.Chat.ChatCompletionTool[] = (params.tools ?? []).filter((t): t is Anthropic.Tool => 'input_schema' in t).map((t) => ({
    type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema as Record<string, unknown> },
  }));
  const choice = toolChoice(params.tool_choice);
  return {
    model: params.model,
    messages,
    // max_tokens rather than max_completion_tokens: every compatible server takes it.
    max_tokens: params.max_tokens,
    ...(tools.length ? { tools } : {}),
    ...(tools.length && choice ? { tool_choice: choice } : {}),
  };
}
