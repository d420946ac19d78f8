// Spending: the agent's cost per day (stacked by rule) against the daily budget, and per rule.
import { api } from './api.js';
import { count, h, money, s, toast } from './dom.js';

const COLORS = ['#3451d1', '#0f9d8a', '#e07b26', '#b14fc5', '#d64560', '#5b8c1a', '#2b8fd6', '#8a6d3b'];

/** A round step for about four grid lines: 1, 2 or 5 times a power of ten. */
function niceStep(max) {
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((st) => st >= raw);
}

function axisLabel(v, step) {
  const digits = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  return v === 0 ? '$0' : `$${v.toFixed(digits)}`;
}

function chart(data, colorOf) {
  const W = 1000, H = 300, left = 56, right = 12, top = 18, bottom = 30;
  const days = data.days;
  const step = niceStep(Math.max(data.budget_usd * 1.1, ...days.map((d) => d.usd), 0.04));
  const max = step * Math.ceil(Math.max(data.budget_usd * 1.1, ...days.map((d) => d.usd), 0.04) / step);
  const y = (usd) => top + (H - top - bottom) * (1 - usd / max);
  const slot = (W - left - right) / days.length;
  const bar = Math.max(2, slot * 0.68);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Agent spending per day over the last 30 days, against the daily budget' });
  for (let v = 0; v <= max + step / 2; v += step) {
    svg.append(s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: left - 10, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, axisLabel(v, step)));
  }
  days.forEach((d, i) => {
    const x = left + slot * i + (slot - bar) / 2;
    let base = 0;
    for (const [rule, usd] of Object.entries(d.by_rule)) {
      const y0 = y(base), y1 = y(base + usd);
      svg.append(s('rect', { x, y: y1, width: bar, height: Math.max(1, y0 - y1), rx: 2, fill: colorOf(rule), class: d.usd > data.budget_usd ? 'over' : '' },
        s('title', null, `${d.day} · ${rule}: ${money(usd, true)}`)));
      base += usd;
    }
    if (i % 5 === days.length % 5 || i === days.length - 1) {
      const label = new Date(`${d.day}T12:00:00`).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
      svg.append(s('text', { x: x + bar / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, label));
    }
  });
  if (data.budget_usd > 0) {
    svg.append(s('line', { x1: left, x2: W - right, y1: y(data.budget_usd), y2: y(data.budget_usd), class: 'budget' }),
      s('text', { x: W - right, y: y(data.budget_usd) - 6, class: 'budget-label', 'text-anchor': 'end' }, `daily budget ${money(data.budget_usd, true)}`));
  }
  return svg;
}

export function mountSpending(main) {
  const body = h('div');
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Spending'), h('p', { class: 'muted' }, 'What the agent cost, per day and per rule, over the last 30 days. Plain-step rules are free.')), body);

  async function refresh() {
    let data;
    try {
      data = await api('/api/spending?days=30');
    } catch (err) {
      return toast(err.message, 'error');
    }
    const names = data.rules.map((r) => r.rule);
    const paid = data.rules.filter((r) => r.usd > 0).map((r) => r.rule);
    const colorOf = (rule) => COLORS[Math.max(0, names.indexOf(rule)) % COLORS.length];
    const share = data.budget_usd > 0 ? Math.min(1, data.today_usd / data.budget_usd) : 0;
    const top = data.rules.find((r) => r.usd > 0);
    const maxRule = Math.max(...data.rules.map((r) => r.usd), 0.0001);
    body.replaceChildren(
      h('div', { class: 'stats' },
        h('div', { class: 'card stat' }, h('span', { class: 'label' }, 'Today'), h('strong', null, money(data.today_usd, true)),
          h('div', { class: `meter${share >= 1 ? ' full' : share > 0.8 ? ' high' : ''}` }, h('i', { 'data-share': share.toFixed(3) })),
          h('span', { class: 'muted small' }, data.budget_usd > 0 ? `of the ${money(data.budget_usd, true)} daily budget` : 'no daily budget set')),
        h('div', { class: 'card stat' }, h('span', { class: 'label' }, 'Last 30 days'), h('strong', null, money(data.total_usd, true)), h('span', { class: 'muted small' }, `${count(data.rules.reduce((n, r) => n + r.jobs, 0))} jobs`)),
        h('div', { class: 'card stat' }, h('span', { class: 'label' }, 'Costliest rule'), h('strong', null, top ? top.rule : '—'), h('span', { class: 'muted small' }, top ? money(top.usd, true) : 'nothing spent yet')),
        // Files a learned program did instead of the model (compiled rules).
        data.saved_by_programs?.files ? h('div', { class: 'card stat saved' }, h('span', { class: 'label' }, 'Saved by programs'), h('strong', null, money(data.saved_by_programs.usd, true)),
          h('span', { class: 'muted small' }, `${count(data.saved_by_programs.files)} ${data.saved_by_programs.files === 1 ? 'file' : 'files'} without the model`)) : null),
      h('section', { class: 'card' }, h('h2', null, 'Per day'), chart(data, colorOf),
        paid.length ? h('div', { class: 'legend' }, paid.map((n) => h('span', null, h('i', { 'data-color': colorOf(n) }), n))) : null),
      h('section', { class: 'card flush' }, h('table', { class: 'per-rule' },
        h('thead', null, h('tr', null, h('th', null, 'Rule'), h('th', { class: 'num' }, 'Jobs'), h('th', { class: 'num' }, 'Tokens in / out'), h('th', null, ''), h('th', { class: 'num' }, 'Cost'))),
        h('tbody', null, data.rules.length ? data.rules.map((r) => h('tr', null,
          h('td', null, h('span', { class: 'rule-tag' }, r.rule)), h('td', { class: 'num' }, count(r.jobs)),
          h('td', { class: 'num muted' }, `${count(r.input_tokens)} / ${count(r.output_tokens)}`),
          h('td', { class: 'barcell' }, h('span', { class: 'hbar', 'data-color': colorOf(r.rule), 'data-share': (r.usd / maxRule).toFixed(3) })),
          h('td', { class: 'num' }, money(r.usd, true)))) : h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No jobs in the last 30 days.'))))));
    // The page's CSP allows no inline styles, so widths and colours are set through the CSSOM.
    for (const el of body.querySelectorAll('[data-share]')) el.style.width = `${Number(el.dataset.share) * 100}%`;
    for (const el of body.querySelectorAll('[data-color]')) el.style.background = el.dataset.color;
  }

  refresh();
  return { refresh, wants: (kind, data) => kind === 'changed' || kind === 'poll' || (kind === 'job' && ['succeeded', 'failed', 'waiting'].includes(data.status)) };
}
