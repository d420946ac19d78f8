/**
 * The agent loop: ask, run the tools the model called, answer with their results, until the
 * model stops calling tools. Bounded four ways: `max_turns`, the job's `max_cost_usd` (checked
 * before each request, with its max_tokens cut to what is left: cost-cap.ts), a wall clock, and
 * a loop guard (the same call three times in a row). Every turn goes into the job's history.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { UnrecoverableError } from '../errors.js';
import { clip } from '../nofollow.js';
import type { Usage } from '../queue/status.js';
import type { Block } from './files/attach.js';
import { fitContext } from './context-fit.js';
import { PromptMeter, fitToCap } from './cost-cap.js';
import { formatUsd, usageOf, type Price } from './pricing.js';
import { SYSTEM_PROMPT } from './prompt.js';
import type { Provider } from './provider.js';
import { callModel } from './request.js';
import { agentSettings } from './settings.js';
import { runTool, toApiTool, type AgentTool, type ToolContext, type ToolOutput } from './tool.js';
import { inputForHistory, malformedInput } from './tool-input.js';
import { argsLine, type Recorder } from './transcript.js';

export interface LoopInput {
  /** Anthropic's Messages API or an OpenAI-compatible server (provider.ts): the loop is the same. */
  provider: Provider;
  model: string;
  price: Price;
  tools: AgentTool[];
  toolCtx: ToolContext;
  first: Block[];
  maxTurns: number;
  maxCostUsd: number;
  /** Already spent by this attempt (the `if:` decision). */
  spentUsd: number;
  deadline: number;
  signal: AbortSignal;
  record: Recorder;
  addUsage(u: Usage): void;
}

export interface LoopResult {
  requests: number;
  costUsd: number;
  finalText: string;
}

/** Response blocks as request blocks: the same content, without the response-only fields. */
function toParam(b: Anthropic.ContentBlock): Anthropic.ContentBlockParam {
  switch (b.type) {
    case 'text': return { type: 'text', text: b.text };
    case 'tool_use': return { type: 'tool_use', id: b.id, name: b.name, input: inputForHistory(b.input) };
    case 'thinking': return { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'redacted_thinking': return { type: 'redacted_thinking', data: b.data };
    default: return b as unknown as Anthropic.ContentBlockParam;
  }
}

/** The conversation with one cache marker on its newest block: each turn reads the last one's prefix. */
function marked(messages: Anthropic.MessageParam[]): Anthropic.MessageParam[] {
  const last = messages.at(-1);
  if (!last || typeof last.content === 'string') return messages;
  const blocks = [...last.content];
  const end = blocks.length - 1;
  blocks[end] = { ...blocks[end], cache_control: { type: 'ephemeral' } } as Anthropic.ContentBlockParam;
  return [...messages.slice(0, -1), { ...last, content: blocks } as Anthropic.MessageParam];
}

function stableKey(name: string, input: unknown): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return `${name} ${JSON.stringify(sort(input))}`;
}

function resultSummary(content: ToolOutput): string {
  if (typeof content === 'string') return content;
  return content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join(' ');
}

export async function runLoop(input: LoopInput): Promise<LoopResult> {
  const { record, price } = input;
  const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }];
  const tools = input.tools.map(toApiTool);
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: input.first }];
  let spent = input.spentUsd;
  const meter = new PromptMeter();
  let lastCall = '';
  let repeats = 0;

  for (let turn = 1; turn <= input.maxTurns; turn++) {
    if (Date.now() >= input.deadline) throw new UnrecoverableError(`stopped: the job ran past its time limit of ${Math.round(agentSettings.jobWallMs / 60_000)} min`);
    const params: Anthropic.MessageStreamParams = { model: input.model, max_tokens: agentSettings.maxOutputTokens, system, tools, messages: marked(messages) };
    const size = await meter.size(input.provider, params, input.signal);
    const capped = fitToCap({ capUsd: input.maxCostUsd, spentUsd: spent, size, price, wanted: agentSettings.maxOutputTokens, what: turn === 1 ? 'its first request' : 'its next request' });
    params.max_tokens = fitContext(input.provider.supports.context, size.tokens, capped, input.provider.name);
    const sentAt = Date.now();
    const response = await callModel(input.provider, params, {
      signal: input.signal,
      deadline: input.deadline,
      onRetry: ({ attempt, message, waitMs }) => record('request_error', `${message}; try ${attempt + 1} in ${(waitMs / 1000).toFixed(1)} s`),
    });
    meter.sent(params, response.usage, sentAt);
    const usage = usageOf(response.usage, price);
    spent += usage.cost_usd;
    input.addUsage(usage);
    record('usage', `turn ${turn}: ${usage.input_tokens} in, ${usage.cache_read_tokens} cache read, ${usage.cache_write_tokens} cache write, ${usage.output_tokens} out; ${formatUsd(usage.cost_usd)} (job ${formatUsd(spent)})`, { turn, model: response.model, stop_reason: response.stop_reason, max_tokens: params.max_tokens, estimated_input_tokens: size.tokens, ...usage });
    messages.push({ role: 'assistant', content: response.content.map(toParam) });
    for (const b of response.content) {
      if (b.type === 'text' && b.text.trim()) record('assistant', b.text.trim());
      if (b.type === 'thinking' && b.thinking.trim()) record('thinking', b.thinking.trim());
    }
    if (response.stop_reason === 'refusal') throw new UnrecoverableError('the model declined this task (stop reason: refusal)');
    const calls = response.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    if (calls.length === 0) {
      const finalText = response.content.filter((b): b is Anthropic.TextBlock => b.type === 'text').map((b) => b.text).join('\n').trim();
      return { requests: turn, costUsd: spent, finalText };
    }
    if (spent >= input.maxCostUsd) throw new UnrecoverableError(`stopped: this job has cost ${formatUsd(spent)}, reaching its max_cost_usd of ${formatUsd(input.maxCostUsd)}`);

    const results: Anthropic.ToolResultBlockParam[] = [];
    for (const [i, call] of calls.entries()) {
      const key = stableKey(call.name, call.input);
      repeats = key === lastCall ? repeats + 1 : 1;
      lastCall = key;
      record('tool_call', `${call.name} ${argsLine(call.input)}`, { id: call.id, name: call.name, input: call.input });
      if (repeats >= 3) throw new UnrecoverableError(`the agent is looping: it made the same call 3 times in a row (${call.name} ${argsLine(call.input)})`);
      const cutOff = response.stop_reason === 'max_tokens' && i === calls.length - 1;
      const broken = malformedInput(call.id);
      const run = cutOff
        ? { content: 'your reply was cut off at max_tokens before this call was complete; do it again in smaller pieces', isError: true }
        : broken !== undefined
          ? { content: `the input of this ${clip(call.name, 100)} call is not valid JSON (${broken}); send a JSON object`, isError: true }
          : await runTool(byName.get(call.name), call.name, call.input, input.toolCtx);
      record('tool_result', `${run.isError ? 'error: ' : ''}${resultSummary(run.content)}`, { id: call.id, name: call.name, is_error: run.isError, content: run.content });
      results.push({ type: 'tool_result', tool_use_id: call.id, content: run.content, ...(run.isError ? { is_error: true } : {}) });
    }
    messages.push({ role: 'user', content: results });
  }
  throw new UnrecoverableError(`stopped after ${input.maxTurns} turns (max_turns) without finishing`);
}
