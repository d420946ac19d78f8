import { Command } from 'commander';
import { ConfigError, errorMessage, UnrecoverableError } from './errors.js';
import { initHome } from './commands/init.js';
import { jobsCancel, jobsList, jobsRetry, jobsShow } from './commands/jobs.js';
import { rulesCheck, rulesTest } from './commands/rules.js';
import { runFile } from './commands/run.js';
import { CliError, paths } from './commands/shared.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import { extendCli } from './cli-extensions.js';
import { loadPlugins } from './plugin-list.js';
import { dropworkVersion } from './version.js';
import { addRevertCommands } from './undo/commands.js';
import { addDbCommands } from './commands/db.js';
import { BY_HELP } from './users/actor.js';

export function buildProgram(): Command {
  const program = new Command('dropwork')
    .description('Turn folders into a coworker: files dropped into inboxes are handled by your rules.')
    .version(dropworkVersion(), '-v, --version', 'print the version')
    .showHelpAfterError()
    // `jobs --json` and `jobs show ID --json` both exist: an option belongs to the command it follows.
    .enablePositionalOptions();

  program.command('init').description('create the dropwork home with example rules, inboxes and outputs folders').action(() => {
    const { created, lines } = initHome(paths());
    process.stdout.write(`${created ? 'Set up dropwork.' : 'Already set up.'}\n${lines.join('\n')}\n`);
  });

  program.command('start').description('run the daemon in the foreground (sets up the home on first start)').action(start);

  program.command('status').description('is the daemon up, what it watches, the queue').option('--json', 'as JSON').action(status);

  const rules = program.command('rules').description('check and try out rules');
  rules.command('check').description('validate every rule file; exit 1 on problems').option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => { process.exitCode = await rulesCheck(o); });
  rules.command('test').argument('<rule>').argument('<file>').description('dry run: would FILE match RULE, and what would happen').option('--json', 'as JSON')
    .action(async (rule: string, file: string, o: { json?: boolean }) => { process.exitCode = await rulesTest(rule, file, o); });

  const jobs = program.command('jobs').description('the job history (newest first)')
    .option('--status <status>', 'only jobs in this status').option('--rule <rule>', 'only this rule')
    .option('--limit <n>', 'how many', '20').option('--json', 'as JSON')
    .enablePositionalOptions()
    .action(jobsList);
  jobs.command('show').argument('<id>').description('everything about a job, with its step log').option('--json', 'as JSON').action(jobsShow);
  jobs.command('retry').argument('<id>').description('queue a failed, skipped or cancelled job again').option('--by <name>', BY_HELP).action(jobsRetry);
  jobs.command('cancel').argument('<id>').description('cancel a queued, running or waiting job').option('--by <name>', BY_HELP).action(jobsCancel);

  program.command('run').argument('[file]').description('queue a file by hand, or run a scheduled rule now with --rule (runs it here if the daemon is not running)')
    .option('--rule <rule>', 'the rule to use (default: every rule that matches); without FILE, a scheduled rule to run now')
    .option('--force', 'process it again even if this content was processed before; with --rule, run it even on a file the rule\'s files: would not take')
    .option('--wait', 'wait for the job to finish').option('--json', 'as JSON')
    .action(async (file: string | undefined, o: Parameters<typeof runFile>[1]) => { process.exitCode = await runFile(file, o); });

  addRevertCommands(program);
  addDbCommands(program);
  extendCli(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await loadPlugins();
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const known = err instanceof CliError || err instanceof ConfigError || err instanceof UnrecoverableError;
    process.stderr.write(`dropwork: ${errorMessage(err)}\n`);
    if (!known && process.env.DROPWORK_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
