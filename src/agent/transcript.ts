/**
 * The job's history as a transcript: every turn's text, each tool call with its arguments,
 * each result, token usage and cost, each failed request. Stored through ctx.step, with keys
 * redacted and big strings cut (the model saw all of it; the history keeps head and tail),
 * and rendered by `dropwork jobs show` through the renderers registered in index.ts.
 */
import type { LogEntry } from '../queue/store.js';
import { redact } from '../redact.js';
import type { JobContext } from '../run/context.js';
import { everyKey } from './credentials.js';
import { agentSettings } from './settings.js';

/** Step kinds the agent writes; index.ts registers a renderer for each. */
export const AGENT_KINDS = ['agent', 'prompt', 'assistant', 'thinking', 'tool_call', 'tool_result', 'usage', 'request_error', 'sandbox', 'outputs', 'condition_cache', 'network', 'connector'] as const;

export function cut(text: string, max = agentSettings.logTextMaxChars): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.75);
  const tail = max - head;
  return `${text.slice(0, head)}\n[... ${text.length - head - tail} characters left out ...]\n${text.slice(-tail)}`;
}

/** redact()'s key shapes and environment values, and any further secrets named. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = redact(text);
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('…redacted');
  return out;
}

/** A copy fit for the history: secrets redacted, long strings cut, base64 payloads replaced by their size. */
export function forHistory(value: unknown, max = agentSettings.logTextMaxChars, secrets: readonly string[] = []): unknown {
  if (typeof value === 'string') return cut(scrub(value, secrets), max);
  if (Array.isArray(value)) return value.map((v) => forHistory(v, max, secrets));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (obj.type === 'base64' && typeof obj.data === 'string') {
      return { type: 'base64', media_type: obj.media_type, data: `[${Math.round((obj.data.length * 3) / 4)} bytes, not kept]` };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, forHistory(v, max, secrets)]));
  }
  return value;
}

export type Recorder = (kind: string, message: string, data?: unknown) => void;

/**
 * Writes to the job's history. Every key in credentials.env (each provider's) is masked as well:
 * it is in no environment variable, so redact() alone would only know it by its shape.
 */
export function recorder(ctx: Pick<JobContext, 'step' | 'paths'>): Recorder {
  const secrets = everyKey(ctx.paths.home);
  return (kind, message, data) => ctx.step(kind, cut(scrub(message, secrets)), data === undefined ? undefined : forHistory(data, undefined, secrets));
}

/** A one-line view of tool arguments: `{"path":"input/a.pdf"}`, with long values shortened. */
export function argsLine(input: unknown): string {
  const short = (v: unknown): unknown => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 77)}...(${v.length} chars)` : v);
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    return JSON.stringify(Object.fromEntries(Object.entries(input).map(([k, v]) => [k, short(v)])));
  }
  return JSON.stringify(input);
}

const INDENT = ' '.repeat(20);

function block(label: string, text: string): string {
  const [first = '', ...rest] = text.split('\n');
  return [`${label.padEnd(10)} ${first}`, ...rest.map((l) => `${INDENT}${l}`)].join('\n');
}

/** How each agent kind reads in `jobs show` (the time is added in front by the caller). */
export function renderAgentEntry(e: LogEntry): string {
  switch (e.kind) {
    case 'assistant':
      return block('assistant', e.message);
    case 'thinking':
      return block('thinking', e.message);
    case 'tool_call':
      return block('tool', `→ ${e.message}`);
    case 'tool_result':
      return block('result', `← ${e.message}`);
    case 'request_error':
      return block('api', `! ${e.message}`);
    case 'condition_cache':
      return block('condition', e.message);
    default:
      return block(e.kind, e.message);
  }
}
