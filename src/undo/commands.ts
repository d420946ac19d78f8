import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { CliError, parseId, printJson, withStore } from '../commands/shared.js';
import { publishLockFile } from '../run/execute.js';
import type { Store } from '../queue/store.js';
import { BY_HELP, cliActor } from '../users/actor.js';
import { knownRuleNames, noRuleNamed } from '../rules/names.js';
import { loadRules } from '../rules/registry.js';
import { describeWindow, parseWindow, windowView, WHEN_FORMS, type Window } from './time.js';
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
export async function rulesRevert(rule: string, opts: RevertOptions & { since?: string; until?: string; yes?: boolean }): Promise<void> {
  const parsed = parseWindow(opts.since, opts.until);
  if (!parsed.ok) throw new CliError(`${parsed.why}\n  (--since and --until take ${WHEN_FORMS})`);
  const { window } = parsed;
  // A person at a terminal sees the plan and says yes before anything changes; a script (no
  // terminal) and --yes go ahead after printing it, as before.
  const ask = !opts.dryRun && !opts.json && !opts.yes && process.stdin.isTTY === true;
  const previewed = withStore((store, p): number[] => {
    const known = knownRuleNames(loadRules(p).rules.keys(), store);
    if (!known.includes(rule)) throw new CliError(noRuleNamed(rule, known));
    const jobs = jobsOfRuleBetween(store, rule, window.since, window.until);
    // The window and the jobs it covers, before anything is reverted: "--since 5" once meant 2005.
    if (!opts.json) process.stdout.write(`${rule}: jobs finished ${describeWindow(window)}: ${jobs.length ? `${jobs.length} (${jobs.join(', ')})` : 'none'}\n`);
    if (jobs.length === 0) {
      if (opts.json) printJson({ ok: true, dry_run: !!opts.dryRun, window: windowView(window), jobs: [], already_reverted: [], steps: [], blockers: [], refused: [], reverted: [] });
      return [];
    }
    const request = { jobs, cascade: !!opts.cascade, ...cliActor(opts.by), lock: publishLockFile(p) };
    if (!ask) {
      report(store, revertJobs(store, blobsFor(p), { ...request, dryRun: !!opts.dryRun }), opts, window);
      return [];
    }
    report(store, revertJobs(store, blobsFor(p), { ...request, dryRun: true }), { ...opts, dryRun: true }, window, true);
    return jobs;
  });
  if (previewed.length === 0) return;
  const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(`revert ${previewed.length === 1 ? 'this job' : `these ${previewed.length} jobs`}? [y/N] `).finally(() => prompt.close());
  if (!/^y(es)?$/i.test(answer.trim())) return void process.stdout.write('nothing was reverted\n');
  // Exactly the jobs previewed, not the window read again.
  withStore((store, p) => report(store, revertJobs(store, blobsFor(p), { jobs: previewed, cascade: !!opts.cascade, dryRun: false, ...cliActor(opts.by), lock: publishLockFile(p) }), opts, window));
}


/** `preview`: the plan shown before the question, without the dry run's closing line. */
function report(store: Store, r: RevertResult, opts: RevertOptions, window?: Window, preview = false): void {
  if (opts.json) {
    printJson({ ...planView(r, !!opts.dryRun), ...(window ? { window: windowView(window) } : {}) });
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
  if (opts.dryRun && r.plan.jobs.length && !preview) lines.push('(dry run: nothing was changed)');
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
    .option('--since <time>', 'from: "30m", "2h", "1h30m", "2d", "today", "yesterday", "monday", "last week", "2026-11-30 14:00"')
    .option('--until <time>', 'to, in the same forms (default: now)')
    .option('--dry-run', 'list what would happen and change nothing')
    .option('--cascade', 'also revert later jobs (of any rule) that changed the same files')
    .option('--yes', 'at a terminal, revert without asking after the plan')
    .option('--by <name>', BY_HELP).option('--json', 'as JSON').action(rulesRevert);
}
