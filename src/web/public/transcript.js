// How step-log entries read on the job page: the agent's turns as a conversation, and every
// other step as a line of the timeline.
import { clock, count, h, money } from './dom.js';

/** Entry kinds the agent writes; everything else is a step of the pipeline. */
export const TRANSCRIPT_KINDS = new Set(['assistant', 'user', 'thinking', 'tool_call', 'tool_result', 'usage']);

const LONG = 14;

function pretty(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** Long text folds away behind its first lines, so one big tool result does not bury the rest. */
function block(text, cls) {
  const lines = text.split('\n');
  if (lines.length <= LONG && text.length <= 2000) return h('pre', { class: cls }, text);
  return h('details', { class: 'fold' },
    h('summary', null, h('pre', { class: cls }, lines.slice(0, 6).join('\n').slice(0, 800)), h('span', { class: 'more-link' }, `show all ${count(lines.length)} lines`)),
    h('pre', { class: cls }, text));
}

function toolName(e) {
  return e.data?.name ?? e.data?.tool ?? e.message.split(/[\s(:]/)[0];
}

export function transcriptEntry(e) {
  const time = h('time', { datetime: e.at, title: e.at }, clock(e.at));
  const d = e.data ?? {};
  switch (e.kind) {
    case 'assistant':
      return h('div', { class: 'msg assistant' }, h('div', { class: 'who' }, 'Agent', time), h('div', { class: 'text' }, d.text ?? e.message));
    case 'user':
      return h('div', { class: 'msg user' }, h('div', { class: 'who' }, 'Task', time), block(d.text ?? e.message, 'text'));
    case 'thinking':
      return h('details', { class: 'msg thinking' }, h('summary', null, 'Thinking ', time), h('div', { class: 'text' }, d.text ?? e.message));
    case 'tool_call': {
      const input = d.input ?? d.args ?? d.arguments;
      return h('div', { class: 'tool call' },
        h('div', { class: 'tool-head' }, h('span', { class: 'tool-icon', 'aria-hidden': 'true' }, '⚙'), h('strong', null, toolName(e)), time),
        input !== undefined ? block(pretty(input), 'code') : h('div', { class: 'text' }, e.message));
    }
    case 'tool_result': {
      const failed = d.is_error === true || d.error === true;
      const output = d.output ?? d.content ?? d.result ?? e.message;
      return h('div', { class: `tool result${failed ? ' error' : ''}` },
        h('div', { class: 'tool-head' }, h('span', null, failed ? 'Error' : 'Result'), d.name ? h('span', { class: 'muted' }, d.name) : null, time),
        block(pretty(output), 'code'));
    }
    case 'usage': {
      const parts = [];
      if (d.input_tokens !== undefined) parts.push(`${count(d.input_tokens)} in`);
      if (d.output_tokens !== undefined) parts.push(`${count(d.output_tokens)} out`);
      if (d.cache_read_tokens) parts.push(`${count(d.cache_read_tokens)} cached`);
      const cost = d.cost_usd !== undefined ? ` · ${money(d.cost_usd, true)}` : '';
      return h('div', { class: 'usage-line' }, time, parts.length ? `${parts.join(' / ')} tokens${cost}` : e.message);
    }
    default:
      return h('div', { class: 'msg' }, h('div', { class: 'who' }, e.kind, time), h('div', { class: 'text' }, e.message));
  }
}

const TONE = {
  failed: 'bad', denied: 'muted', cancelled: 'muted', held: 'warn', retry: 'warn', interrupted: 'warn',
  approved: 'good', published: 'good', after: 'good', condition: 'info', started: 'info',
};

const LABEL = { step: 'step', staged: 'staged', held: 'held', published: 'published', after: 'original', condition: 'condition' };

export function timelineEntry(e) {
  const extra = e.kind === 'held' && e.data ? [...(e.data.outputs ?? []).map((o) => `will publish ${o}`), ...(e.data.changes ?? [])] : [];
  // Who did it (a signed-in person, or the login at the command line) is in the message; the
  // name apart lets a page or a test pick it out.
  const by = typeof e.data?.by === 'string' ? e.data.by : undefined;
  return h('li', { class: `tl ${TONE[e.kind] ?? ''}`, 'data-by': by },
    h('time', { datetime: e.at, title: e.at }, clock(e.at)),
    h('span', { class: 'tl-kind' }, LABEL[e.kind] ?? e.kind.replaceAll('_', ' ')),
    h('span', { class: 'tl-text' }, e.message, extra.length ? h('ul', { class: 'tl-extra' }, extra.map((x) => h('li', null, x))) : null));
}
