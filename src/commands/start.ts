import { StoreUnavailable } from '../errors.js';
import fs from 'node:fs';
import { Daemon } from '../daemon.js';
import { loadPlugins } from '../plugin-list.js';
import { underServiceManager } from '../service/supervised.js';
import { folderLines, initHome } from './init.js';
import { paths } from './shared.js';
import { capYoungGeneration } from './young-generation.js';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Runs the daemon in this process until SIGTERM / SIGINT. The first lets running jobs finish
 * (up to `shutdown_grace_s`), the second re-queues them and stops now, a third leaves at once.
 */
export async function start(): Promise<void> {
  capYoungGeneration();
  const p = paths();
  const first = !fs.existsSync(p.rulesDir);
  // Under a service manager stderr is a file or the journal, kept already: the daemon's log says
  // it all once, and these lines for a person at a terminal are not written there too.
  const atTerminal = !underServiceManager();
  if (first) {
    // The quick start is one command: a first start sets the home up.
    const { lines } = initHome(p);
    if (atTerminal) process.stderr.write(lines.join('\n') + '\n\n');
  }
  await loadPlugins();
  const daemon = new Daemon({ paths: p, console: atTerminal });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    const running = daemon.worker.busy;
    const jobs = `${running} running job${running === 1 ? '' : 's'}`;
    if (signals === 1) {
      // A person at the terminal hears why nothing happens yet, and how to stop at once.
      if (running > 0) say(`finishing ${jobs} (up to ${daemon.config.shutdown_grace_s} s); ${sig === 'SIGINT' ? 'press Ctrl-C again' : 'send the signal again'} to stop now`);
      void daemon.stop().then(() => process.exit(0), () => process.exit(1));
    } else if (signals === 2) {
      if (running > 0) say(`stopping now: ${jobs} go${running === 1 ? 'es' : ''} back to the queue and run${running === 1 ? 's' : ''} again at the next start`);
      daemon.worker.hurry();
    } else {
      // Something does not let go: leave at once; the next start re-queues what was running.
      process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A team's database going down must never end the daemon: a StoreUnavailable that escapes
  // some timer or event handler is noted (team.ts says what waits); anything else still ends the
  // process as Node would, for the service manager to restart it.
  process.on('uncaughtException', (err) => {
    if (err instanceof StoreUnavailable) return daemon.team.unreachable(err);
    daemon.log.error('dropwork stopped on an unexpected error', { error: err.stack ?? String(err) });
    process.exit(1);
  });
  await daemon.start();
  // Every start says where to drop files (the first one said it while setting the home up).
  if (!first && atTerminal) process.stderr.write(folderLines(p, daemon.rules).join('\n') + '\n');
}
