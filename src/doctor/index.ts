import { addCommands } from '../cli-extensions.js';
import { paths, printJson } from '../commands/shared.js';
import { CHECKS } from './checks/index.js';
import { doctorContext, formatReport, runDoctor } from './run.js';

export { runDoctor, doctorContext, formatReport } from './run.js';

/** `dropwork doctor`: checks everything dropwork depends on and says how to fix what is not right. */
addCommands((program) => {
  program.command('doctor').description('check the setup (Node, API key, sandbox, notifications, watches, disk, service, rules); exit 1 on problems')
    .option('--json', 'as JSON, for scripts')
    .action(async (o: { json?: boolean }) => {
      const report = await runDoctor(CHECKS, doctorContext(paths()));
      if (o.json) printJson(report);
      else process.stdout.write(formatReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
});
