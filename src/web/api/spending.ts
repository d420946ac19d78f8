import { savedByPrograms } from '../../program/savings.js';
import type { WebDeps } from '../deps.js';
import { HttpError } from '../http.js';

interface DayRow {
  day: string;
  rule: string;
  usd: number;
  jobs: number;
  input_tokens: number;
  output_tokens: number;
}

function localDay(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * GET /api/spending?days=30: agent spending per day and per rule, counted by the day a job
 * started in local time, as the daily budget counts it.
 */
export function spending(deps: WebDeps, url: URL): unknown {
  const raw = url.searchParams.get('days');
  const days = raw ? Number(raw) : 30;
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new HttpError(400, '"days" takes a whole number from 1 to 366');
  const first = new Date();
  first.setHours(0, 0, 0, 0);
  first.setDate(first.getDate() - (days - 1));
  // Seconds as they are, not CAST to an integer: PostgreSQL rounds a cast where SQLite truncates,
  // which would move a job started in a day's last half second to the next day.
  const rows = deps.store.db.prepare(`SELECT date(started_at / 1000, 'unixepoch', 'localtime') AS day, rule,
      sum(cost_usd) AS usd, count(*) AS jobs, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
    FROM jobs WHERE started_at >= ? GROUP BY day, rule ORDER BY day`).all(first.getTime()) as DayRow[];

  const byDay = new Map<string, { day: string; usd: number; by_rule: Record<string, number> }>();
  for (let d = new Date(first); byDay.size < days; d.setDate(d.getDate() + 1)) {
    const key = localDay(d);
    byDay.set(key, { day: key, usd: 0, by_rule: {} });
  }
  const byRule = new Map<string, { rule: string; usd: number; jobs: number; input_tokens: number; output_tokens: number }>();
  for (const r of rows) {
    const day = byDay.get(r.day);
    if (day && r.usd > 0) {
      day.usd += r.usd;
      day.by_rule[r.rule] = (day.by_rule[r.rule] ?? 0) + r.usd;
    }
    const total = byRule.get(r.rule) ?? { rule: r.rule, usd: 0, jobs: 0, input_tokens: 0, output_tokens: 0 };
    total.usd += r.usd;
    total.jobs += r.jobs;
    total.input_tokens += r.input_tokens;
    total.output_tokens += r.output_tokens;
    byRule.set(r.rule, total);
  }
  const rules = [...byRule.values()].sort((a, b) => b.usd - a.usd || a.rule.localeCompare(b.rule));
  return {
    budget_usd: deps.config().daily_budget_usd,
    today_usd: deps.store.spentToday(),
    total_usd: rules.reduce((s, r) => s + r.usd, 0),
    days: [...byDay.values()],
    rules,
    /** What learned programs saved over the same days (src/program). */
    saved_by_programs: savedByPrograms(deps.store, first.getTime()),
  };
}
