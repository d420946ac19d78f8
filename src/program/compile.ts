/**
 * The compile job: an agent job of its own (trigger `compile`, with its transcript and cost,
 * counted against the daily budget and capped by the rule's compile_max_cost_usd) that writes
 * program/main.py from the rule's examples. Then dropwork replays the program on every example;
 * only a program that reproduces them all is offered (or, with `compile: auto`, approved).
 * It publishes nothing: what it leaves is a row in the programs table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spentByCondition } from '../agent/hooks.js';
import { runLoop } from '../agent/loop.js';
import { chooseModel, describeChoice } from '../agent/model-choice.js';
import { formatUsd } from '../agent/pricing.js';
import { chooseForJobs, handleFor } from '../agent/sandbox-choice.js';
import { agentSettings } from '../agent/settings.js';
import type { ToolContext } from '../agent/tool.js';
import { closeSandbox } from '../agent/tools/run_command.js';
import { toolsFor } from '../agent/tools/index.js';
import { recorder } from '../agent/transcript.js';
import { openWorkspace } from '../agent/workspace/workspace.js';
import { SkipJob, ToolError, UnrecoverableError } from '../errors.js';
import { readFileIn } from '../nofollow-files.js';
import type { JobContext, RunResult } from '../run/context.js';
import { limitsForRule } from '../sandbox/limits.js';
import { loadExample, type Example } from './examples.js';
import { MAX_PROGRAM_BYTES } from './exec.js';
import { compileMode } from './mode.js';
import { compilePrompt } from './prompt.js';
import { replayAll, replayVerdict } from './replay.js';
import { addProgram, exampleDirs, taskHash } from './store.js';

/** What a compile job is queued with. */
export interface CompilePayload {
  task_hash: string;
  examples: number[];
}

export const COMPILE_STEP = 'compile';
const CANNOT = /cannot be compiled:?\s*(.*)/is;

/** Copies the examples into input/examples/N/ for the model to read and try its program on. */
function lay(examples: readonly Example[], input: string): void {
  examples.forEach((e, i) => {
    const dest = path.join(input, 'examples', String(i + 1));
    fs.cpSync(e.dir, dest, { recursive: true, filter: (src) => path.basename(src) !== 'example.json' });
  });
}

export async function runCompileJob(ctx: JobContext): Promise<RunResult> {
  const record = recorder(ctx);
  const payload = JSON.parse(ctx.job.payload) as Partial<CompilePayload>;
  const hash = taskHash(ctx.rule);
  if (payload.task_hash !== hash) throw new SkipJob('the rule\'s task changed since this compile job was queued');
  const examples = exampleDirs(ctx.store.db, payload.examples ?? []).map(loadExample);
  if (examples.length === 0) throw new SkipJob('its examples are gone');
  const choice = await chooseForJobs(ctx.config.sandbox, ctx.paths.dataDir);
  if (!choice.backend || choice.kind === 'none') throw new UnrecoverableError(`a program needs a sandbox to run in: ${choice.reason}`);
  // The rule's own provider and model: a program learned on a local model is checked by the same replay.
  const chosen = await chooseModel(ctx);
  const { model, price } = chosen;
  const ws = await openWorkspace(ctx);
  lay(examples, ws.input);
  const limits = limitsForRule(ctx.rule.sandbox);
  const startedAt = Date.now();
  const toolCtx: ToolContext = {
    ws, pdfMode: chosen.pdfMode, images: chosen.reader.images, textMaxChars: chosen.reader.maxChars, signal: ctx.signal, limits, startedAt, note: record,
    sandbox: handleFor(choice, { jobId: String(ctx.job.id), workspace: { root: ws.root, input: ws.input, output: ws.output }, network: false, limits }),
  };
  const first = compilePrompt(ctx.rule.do ?? '', examples, ctx.rule.if);
  record('agent', `compiling from ${examples.length} example(s) (jobs ${examples.map((e) => e.job).join(', ')}) with ${model}; cap ${formatUsd(ctx.rule.compile.maxCostUsd)}; ${describeChoice(chosen).tail}; ${describeChoice(chosen).head}`, { model, examples: examples.map((e) => e.job) });
  record('prompt', first.summary);
  let finalText = '';
  try {
    const result = await runLoop({
      provider: chosen.provider, model, price, tools: toolsFor(true), toolCtx, first: first.content,
      maxTurns: Math.max(ctx.rule.maxTurns, 30), maxCostUsd: ctx.rule.compile.maxCostUsd, spentUsd: spentByCondition(ctx),
      deadline: startedAt + agentSettings.jobWallMs, signal: ctx.signal, record, addUsage: (u) => ctx.store.addUsage(ctx.job.id, u),
    });
    finalText = result.finalText;
    record('agent', `finished in ${result.requests} request(s), ${formatUsd(result.costUsd)}`);
  } finally {
    await closeSandbox(toolCtx);
  }
  const base = { rule: ctx.rule.name, taskHash: hash, examples: examples.map((e) => e.job), compileJob: ctx.job.id };
  // output/ was the model's to write: program/main.py may be a link to a secret, a FIFO that
  // would stop the daemon, or a folder. It is opened without following, as a regular file of
  // at most MAX_PROGRAM_BYTES, and read through what was opened.
  let programSource: string | undefined;
  try {
    programSource = readProgram(ws.output);
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    const p = addProgram(ctx.store.db, { ...base, status: 'not_compilable', reason: `its program was refused: ${err.message}`, replay: [] });
    ctx.step(COMPILE_STEP, `program v${p.version} is not offered: ${p.reason ?? ''}`);
    return done(ws.output);
  }
  if (programSource === undefined) {
    const cannot = CANNOT.exec(finalText);
    if (!cannot) throw new UnrecoverableError('the compile job wrote no output/program/main.py');
    const reason = `cannot be compiled: ${(cannot[1] ?? '').trim() || 'the model said so'}`;
    addProgram(ctx.store.db, { ...base, status: 'not_compilable', reason, replay: [] });
    ctx.step(COMPILE_STEP, `the rule is marked not compilable (${reason}); it runs on the agent as before`);
    return done(ws.output);
  }
  const replay = await replayAll(choice.backend, programSource, examples, path.join(ctx.workdir, 'replay'), limits, ctx.signal);
  for (const r of replay) ctx.step('replay', `job ${r.job} (${r.input}): ${r.exact ? `reproduced in ${r.durationMs} ms` : r.differences.join('; ')}`, r);
  const failed = replayVerdict(replay);
  if (failed) {
    const p = addProgram(ctx.store.db, { ...base, status: 'not_compilable', reason: `its program failed replay: ${failed}`, source: programSource, replay });
    ctx.step(COMPILE_STEP, `program v${p.version} is not offered: ${failed}; the rule runs on the agent as before`);
    return done(ws.output);
  }
  const auto = compileMode(ctx.rule, choice.kind).mode === 'auto';
  const p = addProgram(ctx.store.db, { ...base, status: auto ? 'approved' : 'suggested', source: programSource, replay, ...(auto ? { approvedBy: 'compile: auto (every replay exact)' } : {}) });
  ctx.step(COMPILE_STEP, auto
    ? `program v${p.version} reproduced all ${replay.length} examples and is approved (compile: auto): new files run it, without the model`
    : `a program is ready: v${p.version} reproduced all ${replay.length} examples; see it with \`dropwork rules program ${ctx.rule.name}\`, and approve it with --approve`, { version: p.version, status: p.status });
  return done(ws.output);
}

/**
 * The program a compile job's model wrote: output/program/main.py as a regular file of at most
 * MAX_PROGRAM_BYTES, opened without following a link at any step (a ToolError says why not);
 * undefined when there is none.
 */
export function readProgram(output: string): string | undefined {
  return readFileIn(output, 'program/main.py', { shown: 'output/program/main.py', maxBytes: MAX_PROGRAM_BYTES })?.toString('utf8');
}

/** A compile job publishes nothing: its output/ was the model's scratch space. */
function done(output: string): RunResult {
  fs.rmSync(output, { recursive: true, force: true });
  fs.mkdirSync(output, { recursive: true });
  return { staged: [] };
}
