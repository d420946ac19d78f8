import { addCommands } from '../cli-extensions.js';
import { paths } from '../commands/shared.js';
import { loadConfig } from '../config.js';
import type { Daemon } from '../daemon.js';
import { errorMessage } from '../errors.js';
import { ONLY_COLLECTS } from '../doctor/check.js';
import { registerPlugin } from '../plugins.js';
import { buildSandboxImage } from './build.js';
import { removeLeftoverContainers } from './cleanup.js';
import { connectDocker } from './container.js';
import { chooseSandbox } from './sandbox.js';

/** What `dropwork status` shows: the backend agent commands would run in, and why. */
let facts: Record<string, unknown> = {};

/**
 * At start, before any job runs: containers a killed daemon of this home left behind are
 * removed, and the backend is chosen once so the log and `status` say where commands will run.
 */
async function start(daemon: Daemon): Promise<void> {
  const owner = daemon.opts.paths.dataDir;
  try {
    const docker = await connectDocker(3000);
    const removed = await removeLeftoverContainers(docker, owner);
    if (removed.length) daemon.log.warn('removed sandbox containers left by a stopped daemon', { containers: removed.length });
  } catch {
    /* no Docker engine: nothing can have been left in it */
  }
  if (!daemon.works) {
    // A host that only collects files runs no agent command: no backend to choose or to warn about.
    facts = { backend: 'none', reason: ONLY_COLLECTS };
    return;
  }
  try {
    const { backend, reason } = await chooseSandbox(daemon.config.sandbox, { owner });
    facts = { backend: backend.kind, reason };
    daemon.log.info(`agent commands run in: ${backend.kind}`, { reason });
  } catch (err) {
    facts = { backend: 'none', reason: errorMessage(err) };
    daemon.log.warn('agent commands cannot run: no sandbox', { reason: errorMessage(err) });
  }
}

registerPlugin({ name: 'sandbox', start, status: () => facts });

addCommands((program) => {
  program.command('sandbox').description('the sandbox agent commands run in')
    .command('build').description('build the sandbox image (Docker); --offline builds it from Debian packages, with no base image to pull')
    .option('--offline', 'build from Debian packages with debootstrap (no image registry needed)')
    .option('--force', 'rebuild even if the image exists')
    .action(async (o: { offline?: boolean; force?: boolean }) => {
      const docker = await connectDocker();
      const image = await buildSandboxImage(docker, { offline: o.offline ?? false, force: o.force ?? false, onLine: (line) => process.stdout.write(`${line}\n`) });
      const config = loadConfig(paths().configFile).config;
      process.stdout.write(`sandbox image ${image.name} ready (${image.id.slice(7, 19)}); agent commands will run in ${config.sandbox === 'none' ? 'nothing (sandbox: none in config.yaml)' : 'it'}\n`);
    });
});
