import { registerPlugin } from '../plugins.js';
import { Scheduler } from './scheduler.js';

export { Scheduler } from './scheduler.js';
export { missedFiring } from './missed.js';

let scheduler: Scheduler | undefined;

/** Rules with `schedule:` fire from here: a timer per rule, re-made when the rules change. */
registerPlugin({
  name: 'schedule',
  async start(daemon) {
    scheduler = new Scheduler(daemon);
    await scheduler.start();
  },
  rulesChanged() {
    scheduler?.sync();
  },
  stop() {
    scheduler?.stop();
    scheduler = undefined;
  },
  status() {
    return scheduler?.status() ?? {};
  },
});
