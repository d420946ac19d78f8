/**
 * `dropwork eval RULE [--models a,b,...] [--last N] [--expected DIR] [--fields a,b] [--json]`:
 * re-runs the rule's last N jobs on each model, publishing and journaling nothing, and says
 * per model whether it did what was published (or, with --expected, how many fields it got).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { CliError, paths, printJson } from '../commands/shared.js';
import { openStore } from '../queue/open.js';
import { RuleSet } from '../rules/registry.js';
import { casesOf } from './cases.js';
import { runEval } from './eval.js';
import { parseModels } from './models.js';
import { formatReport } from './report.js';

export interface EvalOptions {
  models?: string;
  last?: string;
  expected?: string;
  fields?: string;
  json?: boolean;
}

export async function evalCommand(ruleName: string, opts: EvalOptions): Promise<number> {
  const p = paths();
  const set = new RuleSet(p.rulesDir, p.files);
  set.reload();
  const rule = set.rules.get(ruleName);
  if (!rule) throw new CliError(`no rule named "${ruleName}"; rules: ${set.list().map((r) => r.name).join(', ') || 'none'}`);
  if (!rule.do) throw new CliError(`rule ${ruleName} has no do: task; eval compares models on do: rules`);
  const last = Number(opts.last ?? 5);
  if (!Number.isInteger(last) || last < 1) throw new CliError('--last is a whole number of jobs, such as 5');
  if (opts.expected && !fs.existsSync(opts.expected)) throw new CliError(`--expected: ${opts.expected} does not exist`);
  const { config } = loadConfig(p.configFile);
  const models = parseModels(opts.models, rule, config);
  const store = openStore(p, config);
  const copies = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-eval-cases-'));
  try {
    const found = casesOf(store, p, rule, last, copies);
    for (const why of found.passed) process.stderr.write(`left out: ${why}\n`);
    if (found.cases.length === 0) throw new CliError(`rule ${ruleName} has no succeeded job to re-run${found.passed.length ? ` (${found.passed.length} left out, said above)` : ''}`);
    process.stderr.write(`re-running ${found.cases.length} job(s) of ${ruleName} on ${models.map((m) => m.label).join(', ')}; nothing is published\n`);
    const results = await runEval({
      rule, models, cases: found.cases, config, paths: p, spentToday: store.spentToday(),
      expectedDir: opts.expected, fields: opts.fields?.split(',').map((f) => f.trim()).filter(Boolean),
      onCase: (m, r) => process.stderr.write(`  ${m.label}: job ${r.job} ${r.verdict}\n`),
    });
    if (opts.json) printJson(results.map((r) => ({ model: r.model, cases: r.cases.map(({ produced, ...c }) => ({ ...c, produced: [...produced.keys()] })) })));
    else process.stdout.write(formatReport(results));
    return 0;
  } finally {
    store.close();
    fs.rmSync(copies, { recursive: true, force: true });
  }
}
