import { addCommands } from '../cli-extensions.js';
import { install, logs, status, uninstall, type ServiceOptions } from './commands.js';

export { serviceStatus, type ServiceStatus } from './commands.js';
export { credentialsFile, readCredentials } from './credentials.js';

/** `dropwork service install | uninstall | status | logs`: dropwork as a background service. */
addCommands((program) => {
  const service = program.command('service').description('run dropwork in the background: starts with your session, restarts after a crash');
  const platform = ['--platform <platform>', 'systemd or launchd (default: this system\'s)'] as const;
  service.command('install').description('write the systemd unit or launchd plist and start it')
    .option(...platform).option('--no-start', 'only write the file')
    .action(async (o: ServiceOptions) => { process.exitCode = await install(o); });
  service.command('uninstall').description('stop the service and remove what install wrote')
    .option(...platform)
    .action(async (o: ServiceOptions) => { process.exitCode = await uninstall(o); });
  service.command('status').description('is the service installed, and is it running').option(...platform).option('--json', 'as JSON')
    .action(async (o: ServiceOptions) => { process.exitCode = await status(o); });
  service.command('logs').description('the daemon\'s recent log lines (and the journal, where there is one)').option(...platform)
    .option('-n, --lines <n>', 'how many lines', '50').option('-f, --follow', 'keep printing new lines')
    .action(async (o: ServiceOptions & { lines?: string; follow?: boolean }) => { process.exitCode = await logs(o); });
});
