/**
 * `dropwork eval`: which model does a rule's task as well, for less. Imported at start
 * (plugin-list.ts) for its command; the agent and the runs load when it is used.
 */
import { addCommands } from '../cli-extensions.js';

addCommands((program) => {
  program.command('eval').argument('<rule>')
    .description("re-run a rule's last jobs on other models, publishing nothing, and compare with what was published")
    .option('--models <list>', 'comma-separated: a provider of config.yaml (local), provider:model (local:qwen3:8b), or a model on the rule\'s provider')
    .option('--last <n>', 'how many of its last succeeded jobs', '5')
    .option('--expected <dir>', 'score extracted fields against NAME.expected.json files in this folder')
    .option('--fields <list>', 'with --expected: only these fields')
    .option('--json', 'as JSON')
    .action(async (rule: string, opts: Record<string, string | boolean | undefined>) => {
      const { evalCommand } = await import('./command.js');
      process.exitCode = await evalCommand(rule, opts);
    });
});
