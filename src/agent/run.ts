/**
 * One attempt at a `do:` job: check the budget and the key, set the workspace up, run the
 * loop, and hand back what output/ gained as staged outputs. Publishing (and holding for
 * approval) is executeJob's; a job that fails or is cancelled here publishes nothing, and its
 * next attempt starts from the first turn in a clean workspace (executeJob empties the folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import { toolCallsApproved } from '../run/approval.js';
import { connectionRecorder } from '../sandbox/egress/job.js';
import { limitsForRule } from '../sandbox/limits.js';
import type { JobContext, RunResult } from '../run/context.js';
import { spentByCondition } from './hooks.js';
import { runLoop } from './loop.js';
import { chooseModel, describeChoice } from './model-choice.js';
import { formatUsd } from './pricing.js';
import { SYSTEM_PROMPT, firstMessage } from './prompt.js';
import { waitForNewKey } from './ready.js';
import { KeyRejectedError } from './request.js';
import { chooseForJobs, handleFor } from './sandbox-choice.js';
import { agentSettings } from './settings.js';
import type { ToolContext } from './tool.js';
import { closeSandbox } from './tools/run_command.js';
import { toolsFor } from './tools/index.js';
import { recorder } from './transcript.js';
import { collectOutputs } from './workspace/outputs.js';
import { openWorkspace } from './workspace/workspace.js';

export async function runAgentJob(ctx: JobContext): Promise<RunResult> {
  const record = recorder(ctx);
  const chosen = await chooseModel(ctx);
  const { creds, model, price } = chosen;
  const ws = await openWorkspace(ctx);
  const choice = await chooseForJobs(ctx.config.sandbox, ctx.paths.dataDir);
  const limits = limitsForRule(ctx.rule.sandbox);
  const startedAt = Date.now();
  const toolCtx: ToolContext = {
    ws,
    pdfMode: chosen.pdfMode,
    images: chosen.reader.images,
    textMaxChars: chosen.reader.maxChars,
    signal: ctx.signal,
    limits,
    startedAt,
    sandbox: handleFor(choice, { jobId: String(ctx.job.id), workspace: { root: ws.root, input: ws.input, output: ws.output }, network: ctx.rule.sandbox.network, onConnection: connectionRecorder(record), limits }),
    note: record,
  };
  // Connectors (MCP servers) the rule names: their tools beside the built-in ones, closed with the
  // job. The MCP SDK loads only for a rule that names some.
  const connectors = ctx.rule.tools.length
    ? await (await import('../connectors/tools.js')).openConnectors(ctx.rule, { config: ctx.config, home: ctx.paths.home, hide: [ctx.paths.home, ctx.paths.dataDir], job: { dataDir: ctx.paths.dataDir, jobId: String(ctx.job.id) }, note: record, onConnection: connectionRecorder(record), holdChanges: ctx.rule.approve === 'tools' && !toolCallsApproved(ctx.store, ctx.job.id) })
    : { tools: [], close: async () => undefined };
  const tools = [...toolsFor(toolCtx.sandbox !== undefined), ...connectors.tools];
  const first = await firstMessage(ctx, ws, chosen.pdfMode, chosen.reader);
  const provider = chosen.provider.origin;
  const said = describeChoice(chosen);
  record('agent', `${said.head}; tools: ${tools.map((t) => t.name).join(', ')}; ${toolCtx.sandbox ? `commands in ${choice.kind} when needed` : `no run_command (${choice.reason})`}; ${said.tail}`, {
    model, provider, provider_name: chosen.settings.name, api: chosen.settings.api, key_source: creds.source, tools: tools.map((t) => t.name), sandbox: { kind: choice.kind, reason: choice.reason }, price,
  });
  record('prompt', first.summary, { system: SYSTEM_PROMPT });
  try {
    const result = await runLoop({
      provider: chosen.provider,
      model,
      price,
      tools,
      toolCtx,
      first: first.content,
      maxTurns: ctx.rule.maxTurns,
      maxCostUsd: ctx.rule.maxCostUsd,
      spentUsd: spentByCondition(ctx),
      deadline: startedAt + agentSettings.jobWallMs,
      signal: ctx.signal,
      record,
      addUsage: (u) => ctx.store.addUsage(ctx.job.id, u),
    });
    record('agent', `finished in ${result.requests} request(s), ${formatUsd(result.costUsd)}`);
  } catch (err) {
    if (err instanceof KeyRejectedError) {
      // A waiting job keeps its folder (for approvals); this one has nothing worth keeping.
      fs.rmSync(ws.root, { recursive: true, force: true });
      throw waitForNewKey(ctx.store, creds, ctx.paths.home, err);
    }
    throw err;
  } finally {
    await closeSandbox(toolCtx);
    await connectors.close();
  }
  const { staged, ignored } = await collectOutputs(ws, ctx.rule);
  for (const i of ignored) record('outputs', `not published: output/${i.path} (${i.reason})`);
  const names = staged.map((s) => `${path.relative(ctx.rule.output, s.dest)}${s.onConflict === 'overwrite' && fs.existsSync(s.dest) ? ' (replaces)' : ''}`);
  record('outputs', staged.length ? `to publish: ${names.join(', ')}` : 'nothing written to output/', { files: names });
  return { staged };
}
