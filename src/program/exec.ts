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

export function programCommand(source: string): string {
  const b64 = Buffer.from(source, 'utf8').toString('base64');
  return `python3 -c "import base64;exec(compile(base64.b64decode('${b64}'),'program/main.py','exec'))"`;
}

export interface ProgramRun {
  result: CommandResult;
  /** From asking for a sandbox to having one (a container's cold start). */
  openMs: number;
}

export async function runProgram(backend: SandboxBackend, opts: { jobId: string; workspace: Workspace; limits: SandboxLimits; signal?: AbortSignal }, source: string): Promise<ProgramRun> {
  const openedAt = Date.now();
  const sandbox = await backend.open({ jobId: opts.jobId, workspace: opts.workspace, network: false, limits: opts.limits });
  const openMs = Date.now() - openedAt;
  try {
    const result = await sandbox.run(programCommand(source), { timeoutMs: opts.limits.commandTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    return { result, openMs };
  } finally {
    await sandbox.close();
  }
}

/** Why a run does not count as the program doing the file, or undefined when it does. */
export function runFailure(r: CommandResult): string | undefined {
  if (r.failure) return `it was stopped: ${r.failure}`;
  if (r.timedOut) return 'it ran out of time';
  if (r.exitCode === NOT_MINE) return 'it does not recognise this file (exit 3)';
  if (r.exitCode !== 0) return `it failed (exit ${r.exitCode ?? 'none'})${r.stderr ? `: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` : ''}`;
  return undefined;
}
