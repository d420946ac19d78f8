/**
 * Running a learned program: `python3 program/main.py` as the agent's commands run, in a
 * sandbox over a workspace (input/ read-only, output/ staged, the workspace root as working
 * directory, no network). The sandbox mounts only input/ and output/, so the program's source
 * travels in the command itself (base64, a few KB); Python names it program/main.py in tracebacks.
 */
import type { SandboxLimits } from '../sandbox/limits.js';
import type { CommandResult, SandboxBackend, Workspace } from '../sandbox/sandbox.js';

/** The one exit code a program uses to say "not a file I know how to handle". */
export const NOT_MINE = 3;

/**
 * The largest program run: it travels in the command (base64, twice: ~1.8 times its size), and
 * Linux takes at most 128 KiB in one argument. Programs learned so far are a few KB.
 */
export const MAX_PROGRAM_BYTES = 48_000;

const TIMING = /\n?\[dropwork: program ran (\d+) ms\]\n?$/;

/**
 * The command: a small wrapper that runs the program as __main__ and says on stderr how long
 * it ran, so the program's own time can be told from the sandbox's start-up.
 */
export function programCommand(source: string): string {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const wrapper = [
    'import base64, sys, time',
    '_t = time.monotonic()',
    'try:',
    `    exec(compile(base64.b64decode('${b64(source)}'), 'program/main.py', 'exec'), {'__name__': '__main__', '__file__': 'program/main.py'})`,
    'finally:',
    "    sys.stderr.write('\\n[dropwork: program ran %d ms]\\n' % ((time.monotonic() - _t) * 1000))",
  ].join('\n');
  return `python3 -c "import base64;exec(base64.b64decode('${b64(wrapper)}'))"`;
}

export interface ProgramRun {
  result: CommandResult;
  /** The program's own run time, measured inside the sandbox. */
  programMs: number;
  /** The rest of the command's time: opening the sandbox (a container's cold start) and Python's. */
  startMs: number;
}

/**
 * Runs the program once in a sandbox of its own. `closeLater`: the sandbox is removed after
 * this returns (a container takes a few hundred ms to go, which the job need not wait for).
 */
export async function runProgram(backend: SandboxBackend, opts: { jobId: string; workspace: Workspace; limits: SandboxLimits; signal?: AbortSignal; closeLater?: boolean }, source: string): Promise<ProgramRun> {
  const openedAt = Date.now();
  const sandbox = await backend.open({ jobId: opts.jobId, workspace: opts.workspace, network: false, limits: opts.limits });
  let closing = false;
  try {
    const result = await sandbox.run(programCommand(source), { timeoutMs: opts.limits.commandTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    const total = Date.now() - openedAt;
    const timing = TIMING.exec(result.stderr);
    const programMs = timing ? Number(timing[1]) : total;
    if (opts.closeLater) {
      closing = true;
      void sandbox.close().catch(() => undefined);
    }
    return { result: { ...result, stderr: result.stderr.replace(TIMING, '') }, programMs, startMs: Math.max(0, total - programMs) };
  } finally {
    if (!closing) await sandbox.close();
  }
}

/** Why a run does not count as the program doing the file, or undefined when it does. */
export function runFailure(r: CommandResult): string | undefined {
  if (r.failure) return `was stopped: ${r.failure}`;
  if (r.timedOut) return 'ran out of time';
  if (r.exitCode === NOT_MINE) return 'does not recognise this file (exit 3)';
  if (r.exitCode !== 0) return `failed (exit ${r.exitCode ?? 'none'})${r.stderr ? `: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` : ''}`;
  return undefined;
}
