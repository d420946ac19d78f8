import type { Command } from 'commander';
import { CliError, parseId, printJson, withStore } from '../commands/shared.js';
import { localTime } from '../human.js';
import { publishLockFile } from '../run/execute.js';
import type { Store } from '../queue/store.js';
import { BY_HELP, cliActor } from '../users/actor.js';
import { parseWhen } from './time.js';
import { blobsFor, describeStep, jobsOfRuleBetween, planView, revertJobs, type RevertResult } from './revert.js';

interface RevertOptions {
  dryRun?: boolean;
  cascade?: boolean;
  json?: boolean;
  by?: string;
}

/** `jobs revert ID`: put back what one job changed. */
export function jobsRevert(rawId: string, opts: RevertOptions): void {
  const id = parseId(rawId);
  withStore((store, p) => {
    if (!store.get(id)) throw new CliError(`no job ${id}`);
    report(store, revertJobs(store, blobsFor(p), { jobs: [id], cascade: !!opts.cascade, dryRun: !!opts.dryRun, ...cliActor(opts.by), lock: publishLockFile(p) }), opts);
  });
}

/** `rules revert NAME --since TIME`: every job of a rule in a window, newest first. */
export function rulesRevert(rule: string, opts: RevertOptions & { since?: string; until?: string }): void {
  if (!opts.since) throw new CliError('say from when: --since "2026-11-30 14:00", --since 2h, --since today');
  const since = parseWhen(opts.since);
  if (since === undefined) throw new CliError(`"${opts.since}" is not a time: try "2026-11-30 14:00", "2h", "30m", "today"`);
  const until = opts.until === undefined ? Date.now() : parseWhen(opts.until);
  if (until === undefined) throw new CliError(`"${opts.until}" is not a time: try "2026-11-30 15:00", "1h", "now"`);
  withStore((store, p) => {
    const jobs = jobsOfRuleBetween(store, rule, since, until);
    if (jobs.length === 0) {
      if (opts.json) return printJson({ ok: true, dry_run: !!opts.dryRun, jobs: [], already_reverted: [], steps: [], blockers: [], refused: [], reverted: [] });
      return void process.stdout.write(`no finished jobs of ${rule} between ${localTime(since)} and ${localTime(until)}\n`);
    }
    report(store, revertJobs(store, blobsFor(p), { jobs, cascade: !!opts.cascade, dryRun: !!opts.dryRun, ...cliActor(opts.by), lock: publishLockFile(p) }), opts);
  });
}


function report(store: Store, r: RevertResult, opts: RevertOptions): void {
  if (opts.json) {
    printJson(planView(r, !!opts.dryRun));
    if (!r.ok) process.exitCode = 1;
    return;
  }
  if (!r.ok) throw new CliError(r.why);
  const lines: string[] = [];
  for (const id of r.plan.alreadyReverted) lines.push(`job ${id} is already reverted`);
  for (const id of r.plan.jobs) {
    const job = store.get(id);
    const steps = r.plan.steps.filter((s) => s.job === id);
    lines.push(`${opts.dryRun ? 'would revert' : 'reverted'} job ${id} (${job?.rule ?? '?'}${job?.file ? `, ${job.file}` : ''}):`);
    lines.push(...(steps.length ? steps.map((s) => `  ${describeStep(s)}`) : ['  nothing left to put back']));
  }
  if (opts.dryRun && r.plan.jobs.length) lines.push('(dry run: nothing was changed)');
  process.stdout.write(lines.join('\n') + '\n');
}

export function addRevertCommands(program: Command): void {
  const jobs = program.commands.find((c) => c.name() === 'jobs');
  jobs?.command('revert').argument('<id>').description('put back what a job changed: remove its outputs, restore what it replaced or appended to, return its original')
    .option('--dry-run', 'list what would happen and change nothing')
    .option('--cascade', 'also revert later jobs that changed the same files, newest first')
    .option('--by <name>', BY_HELP).option('--json', 'as JSON').action(jobsRevert);
  const rules = program.commands.find((c) => c.name() === 'rules');
  rules?.command('revert').argument('<rule>').description("revert every job of a rule in a time window, newest first")
    .option('--since <time>', 'from: "2026-11-30 14:00", "2h", "30m", "today"')
    .option('--until <time>', 'to (default: now)')
    .option('--dry-run', 'list what would happen and change nothing')
    .option('--cascade', 'also revert later jobs (of any rule) that changed the same files')
    .option('--by <name>', BY_HELP).option('--json', 'as JSON').action(rulesRevert);
}
