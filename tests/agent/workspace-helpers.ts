/** A workspace on temp folders, without a job queue: for testing the tools and paths directly. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../../src/agent/tool.js';
import { openWorkspace, type Workspace } from '../../src/agent/workspace/workspace.js';
import { defaultLimits } from '../../src/sandbox/limits.js';
import type { JobRow } from '../../src/queue/status.js';
import type { Rule } from '../../src/rules/rule.js';

export interface Bench {
  dir: string;
  outputs: string;
  ws: Workspace;
  ctx: ToolContext;
  rule: Rule;
  notes: string[];
}

export async function workspaceFor(file: string | null, opts: { onConflict?: Rule['onConflict']; input?: string } = {}): Promise<Bench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-ws-'));
  const outputs = path.join(dir, 'outputs');
  fs.mkdirSync(outputs);
  const rule = { name: 'r', output: outputs, onConflict: opts.onConflict ?? 'rename', input: opts.input } as Rule;
  const job = { id: 1, file, sha256: null, trigger: file ? 'watch' : 'schedule' } as JobRow;
  const ws = await openWorkspace({ job, rule, workdir: path.join(dir, 'job') });
  const notes: string[] = [];
  const ctx: ToolContext = { ws, pdfMode: 'document', signal: new AbortController().signal, limits: defaultLimits, startedAt: Date.now(), note: (k, m) => notes.push(`${k}: ${m}`) };
  return { dir, outputs, ws, ctx, rule, notes };
}
