/**
 * The decisions of `if:` conditions, kept by (rule, file sha256, condition text) in the history
 * (table condition_cache): a restart or the same file dropped again asks nothing, and editing
 * the condition asks afresh.
 */
import type { Db } from '../queue/db.js';
import type { Rule } from '../rules/rule.js';
import { sha256Text } from '../watch/fingerprint.js';

export interface KeptDecision {
  match: boolean;
  reason: string;
  model: string;
}

export function conditionKey(rule: Pick<Rule, 'name' | 'if'>, sha256: string): string {
  return sha256Text(`${rule.name}\n${sha256}\n${rule.if ?? ''}`);
}

export function keptDecision(db: Db, key: string): KeptDecision | undefined {
  const row = db.prepare('SELECT match, reason, model FROM condition_cache WHERE key = ?').get(key) as { match: number; reason: string; model: string } | undefined;
  return row && { match: row.match === 1, reason: row.reason, model: row.model };
}

export function keepDecision(db: Db, key: string, d: KeptDecision & { rule: string; sha256: string; costUsd: number }, now = Date.now()): void {
  db.prepare(`INSERT INTO condition_cache (key, rule, sha256, match, reason, model, cost_usd, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET rule = excluded.rule, sha256 = excluded.sha256, match = excluded.match, reason = excluded.reason, model = excluded.model, cost_usd = excluded.cost_usd, decided_at = excluded.decided_at`)
    .run(key, d.rule, d.sha256, d.match ? 1 : 0, d.reason, d.model, d.costUsd, now);
}
