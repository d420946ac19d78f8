/**
 * Replay, done by dropwork, not by the model: for each example, a fresh workspace with the
 * example's input and output/ as it was before that job (the files it replaced or appended
 * to), the program run in the sandbox, and what it wrote compared with what the agent's job
 * published. One difference anywhere and the program is not offered.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxLimits } from '../sandbox/limits.js';
import { readFileIn } from '../nofollow-files.js';
import { listOutputFiles } from '../sandbox/output.js';
import type { SandboxBackend } from '../sandbox/sandbox.js';
import { compareOutputs } from './compare.js';
import { afterOf, beforeOf, inputOf, seenOf, type Example } from './examples.js';
import { runFailure, runProgram } from './exec.js';
import type { ReplayResult } from './store.js';

/**
 * What output/ holds after a run that differs from what it held before: the program's outputs.
 * The program wrote output/: each file is opened without following links (a file swapped for a
 * link to a secret after the listing is refused, never read).
 */
export async function writtenFiles(output: string, before: ReadonlyMap<string, Buffer>): Promise<Map<string, Buffer>> {
  const written = new Map<string, Buffer>();
  for (const rel of (await listOutputFiles(output)).files) {
    const content = readFileIn(output, rel, { shown: `output/${rel}` });
    if (!content) continue;
    const was = before.get(rel);
    if (!was || !was.equals(content)) written.set(rel, content);
  }
  return written;
}

export async function replayOne(backend: SandboxBackend, source: string, example: Example, where: string, limits: SandboxLimits, signal?: AbortSignal): Promise<ReplayResult> {
  const root = path.join(where, String(example.job));
  fs.rmSync(root, { recursive: true, force: true });
  const input = path.join(root, 'input');
  const output = path.join(root, 'output');
  fs.mkdirSync(input, { recursive: true });
  fs.mkdirSync(output, { recursive: true });
  const inputFile = path.join(input, example.input);
  fs.copyFileSync(inputOf(example), inputFile);
  fs.chmodSync(inputFile, 0o444);
  const before = new Map<string, Buffer>();
  const expected = new Map<string, Buffer>();
  for (const o of example.outputs) {
    expected.set(o.path, fs.readFileSync(afterOf(example, o.path)));
    if (o.kind === 'created') continue;
    const content = fs.readFileSync(beforeOf(example, o.path));
    before.set(o.path, content);
    fs.mkdirSync(path.dirname(path.join(output, o.path)), { recursive: true });
    fs.writeFileSync(path.join(output, o.path), content);
  }
  // The outputs folder's other files, as the example's live run saw them: output/ has the shape
  // a live run gives it, so a program cannot behave one way in replay and another way live.
  for (const rel of example.seen ?? []) {
    if (before.has(rel) || expected.has(rel) || rel.split('/').includes('..')) continue;
    const content = fs.readFileSync(seenOf(example, rel));
    before.set(rel, content);
    fs.mkdirSync(path.dirname(path.join(output, rel)), { recursive: true });
    fs.writeFileSync(path.join(output, rel), content);
  }
  const base = { job: example.job, input: example.input };
  try {
    const { result, programMs } = await runProgram(backend, { jobId: `replay-${example.job}`, workspace: { root, input, output }, limits, ...(signal ? { signal } : {}) }, source);
    const failed = runFailure(result);
    if (failed) return { ...base, exact: false, differences: [`the program ${failed}`], exitCode: result.exitCode, durationMs: programMs };
    const differences = compareOutputs(expected, await writtenFiles(output, before)).map((d) => d.what);
    return { ...base, exact: differences.length === 0, differences, exitCode: result.exitCode, durationMs: programMs };
  } catch (err) {
    return { ...base, exact: false, differences: [`the program could not run: ${String(err)}`], exitCode: null, durationMs: 0 };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export async function replayAll(backend: SandboxBackend, source: string, examples: readonly Example[], where: string, limits: SandboxLimits, signal?: AbortSignal): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const e of examples) results.push(await replayOne(backend, source, e, where, limits, signal));
  return results;
}

/** The first difference, in words, or undefined when every example was reproduced. */
export function replayVerdict(results: readonly ReplayResult[]): string | undefined {
  const bad = results.find((r) => !r.exact);
  if (!bad) return results.length ? undefined : 'there were no examples to replay';
  return `it did not reproduce job ${bad.job} (${bad.input}): ${bad.differences.slice(0, 3).join('; ')}`;
}
