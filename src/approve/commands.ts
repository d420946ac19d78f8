import type { Command } from 'commander';
import { CliError, parseId, paths, printJson, withStore } from '../commands/shared.js';
import { setEntryRenderer } from '../commands/jobs.js';
import { toView } from '../queue/status.js';
import type { LogEntry } from '../queue/store.js';
import { RuleSet } from '../rules/registry.js';
import { BY_HELP, cliActor } from '../users/actor.js';
import { approveJob, DecisionError, denyJob, pendingChanges } from './decide.js';

/** `jobs approve ID`: publish a held job's outputs. Needs no daemon: it is all in the database. */
export function jobsApprove(rawId: string, opts: { json?: boolean; by?: string }): void {
  const id = parseId(rawId);
  const p = paths();
  const rules = RuleSet.of(p);
  rules.reload();
  withStore((store) => {
    const row = store.get(id);
    const changes = row ? pendingChanges(row, rules.rules.get(row.rule)) : [];
    const { job, done } = decide(() => approveJob({ store, paths: p, ...cliActor(opts.by) }, id, rules.rules));
    if (opts.json) return printJson({ ...toView(job), changes, done });
    const lines = [`job ${id} approved${job.reason ? ` — ${job.reason}` : ''}`];
    if (changes.length) lines.push('changes outside its outputs, as listed for approval:', ...changes.map((c) => `  ${c}`));
    lines.push('done:', ...done.map((d) => `  ${d}`));
    process.stdout.write(lines.join('\n') + '\n');
  });
}

/** `jobs deny ID [--reason]`: discard a held job's outputs; nothing is published or moved. */
export function jobsDeny(rawId: string, opts: { reason?: string; json?: boolean; by?: string }): void {
  const id = parseId(rawId);
  withStore((store, p) => {
    const job = decide(() => denyJob({ store, paths: p, ...cliActor(opts.by) }, id, opts.reason));
    if (opts.json) return printJson(toView(job));
    process.stdout.write(`job ${id} ${job.reason ?? 'denied'}; its outputs were discarded and nothing was changed\n`);
  });
}

function decide<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecisionError) throw new CliError(err.message);
    throw err;
  }
}

/** `jobs show` lists what a held job would publish and change, under its `held` line. */
function renderHeld(e: LogEntry): string {
  const data = e.data ? (JSON.parse(e.data) as { outputs?: string[]; changes?: string[] }) : {};
  const pad = ' '.repeat(20);
  const lines = [`${'held'.padEnd(10)} ${e.message}`];
  for (const o of data.outputs ?? []) lines.push(`${pad}will publish ${o}`);
  for (const c of data.changes ?? []) lines.push(`${pad}${c}`);
  lines.push(`${pad}(dropwork jobs approve ${e.job_id} / dropwork jobs deny ${e.job_id} --reason "...")`);
  return lines.join('\n');
}

export function addApprovalCommands(program: Command): void {
  setEntryRenderer('held', renderHeld);
  const jobs = program.commands.find((c) => c.name() === 'jobs');
  if (!jobs) return;
  jobs.command('approve').argument('<id>').description('publish the outputs of a job waiting for approval (and apply its after:)')
    .option('--by <name>', BY_HELP).option('--json', 'as JSON').action(jobsApprove);
  jobs.command('deny').argument('<id>').description('discard the outputs of a job waiting for approval')
    .option('--reason <text>', 'why, recorded with the job').option('--by <name>', BY_HELP).option('--json', 'as JSON').action(jobsDeny);
}
