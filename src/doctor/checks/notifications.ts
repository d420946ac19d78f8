import { probeNotifications } from '../../notify/probe.js';
import { fail, pass, type Check } from '../check.js';

export const notificationsCheck: Check = {
  id: 'notifications',
  title: 'Notifications',
  async run(ctx) {
    if (!ctx.config.notify) return pass('turned off (notify: false in config.yaml, or DROPWORK_NOTIFY=off)');
    const probe = await probeNotifications(ctx.env, ctx.platform);
    if (probe.ok) return pass(probe.summary);
    return fail(probe.summary, `${probe.fix ?? 'check that notify-send works'}; or, on a machine without a desktop, turn them off: notify: false in config.yaml`);
  },
};
