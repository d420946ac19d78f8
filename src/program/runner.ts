/**
 * The third runner, in front of the agent (runnerFor in src/run/runners.ts): a rule with an
 * approved program runs it in the job's sandbox, at no model cost. When the program refuses
 * the file (exit 3), fails, runs out of time, or writes something of another shape than its
 * examples did, the same job goes to the agent at once; the history shows both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chooseForJobs } from '../agent/sandbox-choice.js';
import { collectOutputs, materializeOutputs } from '../agent/workspace/outputs.js';
import { openWorkspace } from '../agent/workspace/workspace.js';
import { errorMessage } from '../errors.js';
import { writersOf } from '../watch/writers.js';
import type { StagedOutput } from '../publish/publish.js';
import type { JobContext, RunResult, Runner } from '../run/context.js';
import type { Rule } from '../rules/rule.js';
import { limitsForRule } from '../sandbox/limits.js';
import { loadExample, type Example } from './examples.js';
import { runFailure, runProgram } from './exec.js';
import { FALLBACK_STEP, PROGRAM_STEP, compileMode } from './mode.js';
import { approvedProgram, countRun, exampleDirs, type Program } from './store.js';

/**
 * The shape of what a run wrote, checked before anything is published: every file a live run
 * writes must be one its examples wrote in the same way. `changes PATH`: a file of the outputs
 * folder they replaced or appended to, by its very path; `new D/*.EXT`: a new file with an
 * extension they created, as deep in folders (`2026-11/x.pdf` is `new * /*.pdf`, spaced here
 * only for the comment). And no more new files than the most any example created. A program
 * that behaves as in replay passes; one that writes elsewhere, or more, falls back to the agent.
 */
export interface Shapes {
  kinds: Set<string>;
  mostNew: number;
}

function newShape(rel: string): string {
  const depth = rel.split('/').length - 1;
  return `new ${'*/'.repeat(depth)}*${path.extname(rel).toLowerCase()}`;
}

export function shapesOf(examples: readonly Example[]): Shapes {
  const kinds = new Set<string>();
  let mostNew = 0;
  for (const e of examples) {
    for (const o of e.outputs) kinds.add(o.kind === 'created' ? newShape(o.path) : `changes ${o.path}`);
    mostNew = Math.max(mostNew, e.outputs.filter((o) => o.kind === 'created').length);
  }
  return { kinds, mostNew };
}

/** Why these outputs are not of the examples' shape, or undefined when they are. */
export function shapeProblem(staged: readonly StagedOutput[], output: string, shapes: Shapes): string | undefined {
  if (staged.length === 0) return 'it wrote nothing';
  let created = 0;
  for (const s of staged) {
    const rel = path.relative(output, s.dest).split(path.sep).join('/');
    const existed = fs.existsSync(s.dest);
    const shape = existed ? `changes ${rel}` : newShape(rel);
    if (!existed) created++;
    if (rel.startsWith('..') || !shapes.kinds.has(shape)) return `it wrote ${rel}, unlike its examples (${shape}); they wrote: ${[...shapes.kinds].join(', ')}`;
  }
  if (created > shapes.mostNew) return `it wrote ${created} new files; its examples wrote at most ${shapes.mostNew}`;
  return undefined;
}

type Tried = { staged: StagedOutput[] } | { why: string };

async function tryProgram(ctx: JobContext, program: Program): Promise<Tried> {
  const choice = await chooseForJobs(ctx.config.sandbox, ctx.paths.dataDir);
  if (!choice.backend || choice.kind === 'none') return { why: `no sandbox to run it in (${choice.reason})` };
  const ws = await openWorkspace(ctx);
  const { copied } = materializeOutputs(ws);
  const limits = limitsForRule(ctx.rule.sandbox);
  // A file queued by hand is looked at for writers before publishing (execute.ts): the /proc
  // scan that does it starts now, while the daemon only waits on Docker, rather than after the
  // program (it was 20-90 ms of a program job's time outside its sandbox: scripts/bench/program.mjs).
  // Not at the job's start: sharing libuv's threads, it slowed the workspace copy as much.
  if (ctx.job.file && ctx.job.trigger === 'manual') void writersOf(ctx.job.file, ctx.job.started_at ?? Date.now()).catch(() => undefined);
  const { result, programMs, startMs } = await runProgram(choice.backend, { jobId: String(ctx.job.id), workspace: { root: ws.root, input: ws.input, output: ws.output }, limits, signal: ctx.signal, closeLater: true }, program.source ?? '');
  const facts = { runner: 'program', version: program.version, source_sha256: program.sourceSha256, exit_code: result.exitCode, run_ms: programMs, sandbox_start_ms: startMs, outputs_copied: copied };
  const failed = runFailure(result);
  if (failed) return { why: `it ${failed}` };
  const { staged } = await collectOutputs(ws, ctx.rule);
  const examples = exampleDirs(ctx.store.db, program.examples).map(loadExample);
  const odd = shapeProblem(staged, ctx.rule.output, shapesOf(examples));
  if (odd) return { why: odd };
  ctx.step(PROGRAM_STEP, `program v${program.version} did the file in ${programMs} ms (sandbox start ${startMs} ms): no model call, $0; to publish: ${staged.map((s) => path.relative(ctx.rule.output, s.dest)).join(', ')}`, facts);
  return { staged };
}

/** Wraps the agent runner of a `do:` rule. */
export function programFront(rule: Rule, agent: Runner): Runner {
  return async (ctx): Promise<RunResult> => {
    if (ctx.job.trigger === 'compile') return (await import('./compile.js')).runCompileJob(ctx);
    const program = ctx.job.file ? approvedProgram(ctx.store.db, rule) : undefined;
    // Whether a sandbox really runs here is tryProgram's question (a program without one falls back).
    if (!program || compileMode(rule, ctx.config.sandbox === 'none' ? 'none' : 'docker').mode === 'off') return agent(ctx);
    // A retried job says who did its file this time.
    ctx.store.db.prepare('UPDATE jobs SET runner = NULL, program_version = NULL WHERE id = ?').run(ctx.job.id);
    let tried: Tried;
    try {
      tried = await tryProgram(ctx, program);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      tried = { why: `it could not run (${errorMessage(err)})` };
    }
    if ('staged' in tried) {
      countRun(ctx.store.db, program.id, false);
      ctx.store.db.prepare("UPDATE jobs SET runner = 'program', program_version = ? WHERE id = ?").run(program.version, ctx.job.id);
      return tried;
    }
    countRun(ctx.store.db, program.id, true);
    ctx.step(FALLBACK_STEP, `program v${program.version} did not do this file: ${tried.why}; the agent does it instead`, { runner: 'agent', program_version: program.version, why: tried.why });
    // The agent starts from a clean workspace, as on any attempt.
    fs.rmSync(ctx.workdir, { recursive: true, force: true });
    fs.mkdirSync(ctx.workdir, { recursive: true });
    return agent(ctx);
  };
}
