import '../approve/index.js';
import '../users/index.js';
import { addCommands } from '../cli-extensions.js';
import type { Daemon } from '../daemon.js';
import { errorCode, errorMessage } from '../errors.js';
import { setJobLink } from '../notify/index.js';
import { registerPlugin } from '../plugins.js';
import { Dashboard } from './server.js';
import { dashboardUrl, uiToken } from './token.js';
import { addUiCommand } from './ui-command.js';

let dashboard: Dashboard | undefined;
/** What `dropwork status` and `dropwork ui` learn about the dashboard (never the token). */
let facts: Record<string, unknown> = {};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

async function start(daemon: Daemon): Promise<void> {
  const { config } = daemon;
  const paths = daemon.opts.paths;
  dashboard = new Dashboard({
    store: daemon.store,
    paths,
    log: daemon.log,
    config: () => daemon.config,
    ruleSet: () => daemon.ruleSet,
    events: daemon.events,
    wake: () => daemon.worker.wake(),
  }, uiToken(paths));
  try {
    const port = await dashboard.listen(config.host, config.port);
    facts = { url: dashboardUrl(config, port), port, host: config.host };
    // A click on a failed or held job's notice opens that job's page (the cookie carries the token).
    setJobLink((job) => `${dashboardUrl(config, port)}jobs/${job.id}`);
    // The log (a file others on the machine may read, or the journal) gets no address to click:
    // one without the token only answers 401. A person at the terminal gets one that signs in,
    // once, written past the log.
    daemon.log.info('the dashboard is up; open it with: dropwork ui', { host: config.host, port });
    if (daemon.opts.console) process.stderr.write(`open the dashboard (this link signs you in; keep it to yourself): ${dashboardUrl(config, port, uiToken(paths))}\n`);
    if (!LOOPBACK.has(config.host)) {
      const people = daemon.store.users.count();
      // Not refused: people added later (or the last one removed) take effect without a restart,
      // because each request is checked; other machines never get in on the install's token.
      if (people === 0) daemon.log.warn(`the dashboard listens on ${config.host} (config host) but has no users yet: other machines are turned away until you add one with: dropwork users add NAME`);
      else daemon.log.info(`the dashboard is open to the network on ${config.host} for ${people} user(s), each with their own sign-in link`);
    }
  } catch (err) {
    const why = errorCode(err) === 'EADDRINUSE'
      ? `port ${config.port} is already in use (another dropwork home?); set port: in config.yaml or DROPWORK_PORT`
      : errorMessage(err);
    facts = { error: why };
    dashboard = undefined;
    throw new Error(`the dashboard could not start: ${why}`);
  }
}

registerPlugin({
  name: 'dashboard',
  start,
  async stop() {
    setJobLink(undefined);
    await dashboard?.close();
    dashboard = undefined;
    facts = {};
  },
  status: () => facts,
});

addCommands(addUiCommand);
