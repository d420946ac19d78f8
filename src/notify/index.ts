import { registerPlugin } from '../plugins.js';
import type { JobLink } from './notices.js';
import { createNotifier, type Notifier } from './notifier.js';

export { Notifier, createNotifier } from './notifier.js';
export type { Notice, NotificationBackend } from './backend.js';

let jobLink: JobLink | undefined;

/**
 * Where a click on a failed or waiting job's notice leads. The dashboard calls this once it
 * serves job pages; until then a click opens the rule's outputs folder.
 */
export function setJobLink(link: JobLink | undefined): void {
  jobLink = link;
}

let running: Notifier | undefined;

registerPlugin({
  name: 'notify',
  start(daemon) {
    running = createNotifier(daemon, undefined, {}, (job) => jobLink?.(job));
    running.start();
    if (!daemon.config.notify) daemon.log.info('desktop notifications are off (notify: false or DROPWORK_NOTIFY=off)');
  },
  async stop() {
    await running?.stop();
    running = undefined;
  },
  status() {
    return running?.status() ?? {};
  },
});
