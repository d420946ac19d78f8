import { z } from 'zod';
import { ToolError, UnrecoverableError } from '../../errors.js';
import { commandTimeout, formatSeconds } from '../../sandbox/limits.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { define, type ToolContext } from '../tool.js';
import { materializeOutputs } from '../workspace/outputs.js';

const opened = new WeakMap<ToolContext, Promise<Sandbox>>();

/**
 * The sandbox opens on the first command of a job, never before: most jobs run none. Then the
 * outputs folder is copied into output/ so a script sees what the file tools see.
 */
function sandboxOf(ctx: ToolContext): Promise<Sandbox> {
  const handle = ctx.sandbox;
  if (!handle || handle.kind === 'none') return Promise.reject(new ToolError('commands cannot run here: no sandbox is available'));
  let p = opened.get(ctx);
  if (!p) {
    p = (async () => {
      const { copied, left } = materializeOutputs(ctx.ws);
      if (copied || left) ctx.note('sandbox', `copied ${copied} file(s) of the outputs folder into output/${left ? `; ${left} left out (too many or too big)` : ''}`);
      const sandbox = await handle.open();
      ctx.note('sandbox', `commands run in ${sandbox.kind}${sandbox.imageId ? `, image ${sandbox.imageId}` : ''} (${handle.reason})`, { kind: sandbox.kind, imageId: sandbox.imageId ?? null });
      return sandbox;
    })();
    opened.set(ctx, p);
  }
  return p;
}

/** Closes the job's sandbox if a command opened one. */
export async function closeSandbox(ctx: ToolContext): Promise<void> {
  const p = opened.get(ctx);
  opened.delete(ctx);
  if (p) await p.then((s) => s.close(), () => undefined);
}

/** What the model can do after a command ran out of time. */
function afterTimeout(timeoutMs: number, ctx: ToolContext): string {
  const most = Math.min(ctx.limits.maxCommandTimeoutMs, ctx.limits.jobWallMs - (Date.now() - ctx.startedAt));
  return most > timeoutMs + 1000
    ? `It may run for up to ${Math.floor(most / 1000)} s: call again with a larger timeout_s, or do it another way (smaller parts).`
    : `That is the longest a command may run here (the rule's sandbox.max_command_s is ${formatSeconds(ctx.limits.maxCommandTimeoutMs)}): do it another way, in smaller parts.`;
}

export const runCommand = define('run_command', {
  description: 'Run a shell command (sh -c) in a sandbox, in the workspace root: input/ read-only, output/ writable, no network unless the rule allows it.',
  parameters: z.object({
    command: z.string().min(1),
    timeout_s: z.number().int().min(1).max(3600).optional(),
  }),
  async execute({ command, timeout_s }, ctx) {
    const sandbox = await sandboxOf(ctx);
    const { timeoutMs } = commandTimeout(ctx.limits, timeout_s === undefined ? undefined : timeout_s * 1000, Date.now() - ctx.startedAt);
    const r = await sandbox.run(command, { timeoutMs, signal: ctx.signal });
    // The job's own limits (write cap, its commands' wall clock) fail the job: trying again breaks them again.
    if (r.failure && r.jobLimit) throw new UnrecoverableError(r.failure);
    const lines = r.failure ? [`the command was stopped: ${r.failure}. ${afterTimeout(timeoutMs, ctx)}`] : [`exit code: ${r.exitCode ?? 'none (stopped)'}`];
    if (r.stdout) lines.push(`stdout:\n${r.stdout}`);
    if (r.stderr) lines.push(`stderr:\n${r.stderr}`);
    if (r.network?.length) lines.push(...r.network);
    // A command's own timeout goes back to the model as an error it can act on; the job goes on.
    if (r.failure) throw new ToolError(lines.join('\n'));
    return lines.join('\n');
  },
});
