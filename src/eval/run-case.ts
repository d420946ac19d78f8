/**
 * One case on one model, in a scratch folder and nothing else: the rule's outputs folder is a
 * scratch copy holding only what the job started from, the job is a row in a scratch database,
 * and what the agent stages is read and compared, never published: no journal, no history,
 * no `after:` on the original. The same runAgentJob as a real job (model choice, loop, tools,
 * sandbox, caps), so what is measured is what the rule would do.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import { silentLogger } from '../log.js';
import type { Paths } from '../paths.js';
import { compareOutputs } from '../program/compare.js';
import type { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';
import { sha256File } from '../watch/fingerprint.js';
import type { EvalCase } from './cases.js';
import { ruleOn, type EvalModel } from './models.js';

export interface CaseResult {
  job: number;
  input: string;
  /** `same`: what was published; `differs`: with the first difference; `failed`: with why; `done`: nothing to compare with. */
  verdict: 'same' | 'differs' | 'failed' | 'done';
  difference?: string | undefined;
  /** What the model wrote, by path relative to the outputs folder. */
  produced: Map<string, Buffer>;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  ms: number;
}

export interface CaseInput {
  rule: Rule;
  model: EvalModel;
  config: Config;
  paths: Paths;
  /** The scratch database (one per eval run). */
  store: Store;
  c: EvalCase;
  /** A fresh folder for this case on this model. */
  where: string;
  signal: AbortSignal;
}

export async function runCase(i: CaseInput): Promise<CaseResult> {
  const { c, where } = i;
  const outputs = path.join(where, 'outputs');
  const inbox = path.join(where, 'inbox');
  fs.mkdirSync(outputs, { recursive: true });
  fs.mkdirSync(inbox, { recursive: true });
  for (const [rel, content] of c.before) {
    fs.mkdirSync(path.dirname(path.join(outputs, rel)), { recursive: true });
    fs.writeFileSync(path.join(outputs, rel), content);
  }
  const file = path.join(inbox, path.basename(c.input));
  fs.copyFileSync(c.input, file);
  const rule: Rule = { ...ruleOn(i.rule, i.model), output: outputs, after: { kind: 'keep' }, approve: 'never' };
  const job = i.store.enqueue({ rule: rule.name, file, sha256: await sha256File(file), trigger: 'manual', dedupe: false, payload: {} });
  if (!job) throw new Error('the scratch database did not take the job');
  const base = { job: c.job, input: path.basename(c.input), produced: new Map<string, Buffer>() };
  const started = performance.now();
  let requests = 0;
  const finish = (r: Pick<CaseResult, 'verdict' | 'difference'>): CaseResult => {
    const row = i.store.get(job.id);
    return { ...base, ...r, requests, inputTokens: (row?.input_tokens ?? 0) + (row?.cache_read_tokens ?? 0) + (row?.cache_write_tokens ?? 0), outputTokens: row?.output_tokens ?? 0, costUsd: row?.cost_usd ?? 0, ms: performance.now() - started };
  };
  try {
    const { runAgentJob } = await import('../agent/run.js');
    const { staged } = await runAgentJob({
      job, rule, config: i.config, paths: i.paths, store: i.store, log: silentLogger, signal: i.signal,
      workdir: path.join(where, 'job'),
      step: (kind, message, data) => {
        if (kind === 'usage') requests++;
        i.store.log(job.id, kind, message, data);
      },
    });
    for (const s of staged) base.produced.set(path.relative(outputs, s.dest), fs.readFileSync(s.source));
  } catch (err) {
    return finish({ verdict: 'failed', difference: errorMessage(err) });
  }
  if (c.published.size === 0) return finish({ verdict: 'done' });
  const differences = compareOutputs(c.published, base.produced);
  return finish(differences.length ? { verdict: 'differs', difference: differences[0]?.what } : { verdict: 'same' });
}
