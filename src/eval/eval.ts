/**
 * `dropwork eval`: the same files on each model, side by side. Every case runs in a scratch
 * folder of its own under one scratch database, removed at the end; today's spending counts
 * against the daily budget (the eval stops when it is reached), and each case against the
 * rule's max_cost_usd, as a job would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatUsd } from '../agent/pricing.js';
import type { Config } from '../config.js';
import type { Paths } from '../paths.js';
import { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';
import type { EvalCase } from './cases.js';
import type { EvalModel } from './models.js';
import { runCase, type CaseResult } from './run-case.js';
import { expectedFor, extracted, scoreFields, type FieldScore } from './score.js';

export interface ModelResult {
  model: EvalModel;
  cases: (CaseResult & { fields?: FieldScore[] | undefined })[];
}

export interface EvalInput {
  rule: Rule;
  models: EvalModel[];
  cases: EvalCase[];
  config: Config;
  paths: Paths;
  /** Spent today before the eval (the real history's): the eval stops at the daily budget. */
  spentToday: number;
  expectedDir?: string | undefined;
  fields?: string[] | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each case (progress on stderr). */
  onCase?: (m: EvalModel, r: CaseResult) => void;
}

export async function runEval(i: EvalInput): Promise<ModelResult[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-eval-'));
  const store = new Store(path.join(scratch, 'eval.db'));
  const signal = i.signal ?? new AbortController().signal;
  let spent = i.spentToday;
  const results: ModelResult[] = [];
  try {
    for (const [m, model] of i.models.entries()) {
      const out: ModelResult = { model, cases: [] };
      results.push(out);
      for (const [n, c] of i.cases.entries()) {
        let r: CaseResult;
        if (spent >= i.config.daily_budget_usd) {
          r = { job: c.job, input: path.basename(c.input), verdict: 'failed', difference: `not run: ${formatUsd(spent)} spent today of daily_budget_usd ${formatUsd(i.config.daily_budget_usd)}`, produced: new Map(), requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, ms: 0 };
        } else {
          r = await runCase({ rule: i.rule, model, config: i.config, paths: i.paths, store, c, where: path.join(scratch, String(m), String(n)), signal });
        }
        spent += r.costUsd;
        const expected = i.expectedDir ? expectedFor(i.expectedDir, c.input) : undefined;
        out.cases.push({ ...r, ...(expected ? { fields: scoreFields(expected, extracted(r.produced), i.fields) } : {}) });
        i.onCase?.(model, r);
      }
    }
  } finally {
    store.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}
