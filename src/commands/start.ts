import fs from 'node:fs';
import { Daemon } from '../daemon.js';
import { loadPlugins } from '../plugin-list.js';
import { underServiceManager } from '../service/supervised.js';
import { initHome } from './init.js';
import { paths } from './shared.js';

/** Runs the daemon in this process until SIGTERM / SIGINT. */
export async function start(): Promise<void> {
  const p = paths();
  if (!fs.existsSync(p.rulesDir)) {
    // The quick start is one command: a first start sets the home up.
    const { lines } = initHome(p);
    process.stderr.write(lines.join('\n') + '\n\n');
  }
  await loadPlugins();
  // Readable lines on a terminal; under a service manager stderr is kept already, so not twice.
  const daemon = new Daemon({ paths: p, console: !underServiceManager() });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      daemon.log.warn(`second ${sig}: stopping now; running jobs will be re-queued at the next start`);
      process.exit(1);
    }
    void daemon.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await daemon.start();
}
