/**
 * What learned programs saved: each file a program did would have cost about what its example
 * jobs cost with the model. For the spending page (GET /api/spending).
 */
import type { Store } from '../queue/store.js';
import { modelCostPerFile } from './decide.js';
import { programsOf } from './store.js';

export interface Savings {
  usd: number;
  files: number;
  by_rule: { rule: string; files: number; usd: number }[];
}

export function savedByPrograms(store: Store, since: number): Savings {
  // `spent`: what the program's jobs still cost (a rule's if: is still decided by the small model).
  const done = store.db.prepare(`SELECT rule, program_version AS version, count(*) AS files, COALESCE(SUM(cost_usd), 0) AS spent FROM jobs
      WHERE runner = 'program' AND status = 'succeeded' AND started_at >= ? GROUP BY rule, program_version`).all(since) as { rule: string; version: number; files: number; spent: number }[];
  const byRule = new Map<string, { rule: string; files: number; usd: number }>();
  for (const d of done) {
    const program = programsOf(store.db, d.rule).find((p) => p.version === d.version);
    const perFile = program ? modelCostPerFile(store, program) : 0;
    const r = byRule.get(d.rule) ?? { rule: d.rule, files: 0, usd: 0 };
    r.files += d.files;
    r.usd += Math.max(0, perFile * d.files - d.spent);
    byRule.set(d.rule, r);
  }
  const by_rule = [...byRule.values()].sort((a, b) => b.usd - a.usd);
  return { usd: by_rule.reduce((s, r) => s + r.usd, 0), files: by_rule.reduce((s, r) => s + r.files, 0), by_rule };
}
