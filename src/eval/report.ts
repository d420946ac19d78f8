/**
 * The eval's report: a markdown table a person can paste into an issue, one row per model
 * (same / differs / failed, requests, tokens, cost, time), then what differed, case by case,
 * with the first difference; with expected JSON, the field scores per model and per field.
 */
import { formatUsd } from '../agent/pricing.js';
import type { ModelResult } from './eval.js';

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const widths = head.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((x, c) => x.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}

const pct = (n: number, of: number): string => (of ? `${n}/${of} (${Math.round((100 * n) / of)}%)` : '-');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function formatReport(results: readonly ModelResult[]): string {
  const out: string[] = [];
  const scored = results.some((r) => r.cases.some((c) => c.fields));
  const rows = [['model', 'same', 'differs', 'failed', 'requests', 'tokens in/out', 'cost', 'time', ...(scored ? ['fields exact', 'fields normalised'] : [])]];
  for (const r of results) {
    const n = (v: string): number => r.cases.filter((c) => c.verdict === v).length;
    const fields = r.cases.flatMap((c) => c.fields ?? []);
    const sum = (f: (c: ModelResult['cases'][number]) => number): number => r.cases.reduce((s, c) => s + f(c), 0);
    rows.push([
      r.model.label, String(n('same')), String(n('differs')), String(n('failed')), String(sum((c) => c.requests)),
      `${sum((c) => c.inputTokens).toLocaleString('en-US')}/${sum((c) => c.outputTokens).toLocaleString('en-US')}`,
      formatUsd(sum((c) => c.costUsd)), secs(sum((c) => c.ms)),
      ...(scored ? [pct(fields.filter((f) => f.exact).length, fields.length), pct(fields.filter((f) => f.normalised).length, fields.length)] : []),
    ]);
  }
  out.push(table(rows));
  const said = results.flatMap((r) => r.cases.filter((c) => c.verdict === 'differs' || c.verdict === 'failed').map((c) => `- ${r.model.label}, ${c.job ? `job ${c.job} ` : ''}(${c.input}): ${c.verdict} — ${c.difference ?? ''}`));
  if (said.length) out.push('', ...said);
  if (scored) {
    const names = [...new Set(results.flatMap((r) => r.cases.flatMap((c) => (c.fields ?? []).map((f) => f.field))))];
    const per = [['field', ...results.map((r) => r.model.label)]];
    for (const name of names) {
      per.push([name, ...results.map((r) => {
        const fs = r.cases.flatMap((c) => (c.fields ?? []).filter((f) => f.field === name));
        return `${fs.filter((f) => f.exact).length}/${fs.filter((f) => f.normalised).length}/${fs.length}`;
      })]);
    }
    out.push('', 'per field (exact/normalised/cases):', '', table(per));
    const misses = results.flatMap((r) => r.cases.flatMap((c) => (c.fields ?? []).filter((f) => !f.normalised).map((f) => `- ${r.model.label}, ${c.input}: ${f.field} expected ${JSON.stringify(f.expected)}, got ${f.got === undefined ? 'nothing' : JSON.stringify(f.got)}`)));
    if (misses.length) out.push('', ...misses.slice(0, 40), ...(misses.length > 40 ? [`- ... and ${misses.length - 40} more`] : []));
  }
  return `${out.join('\n')}\n`;
}
