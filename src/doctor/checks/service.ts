import { serviceStatus } from '../../service/commands.js';
import { defaultPlatform } from '../../service/plan.js';
import { lingerNote, sessionAdvice, systemdSession } from '../../service/session.js';
import { fail, pass, warn, type Check } from '../check.js';

export const serviceCheck: Check = {
  id: 'service',
  title: 'Service',
  async run(ctx) {
    const platform = defaultPlatform(ctx.platform);
    if (!platform) return warn(`no background service on ${ctx.platform}`, 'start dropwork from your login: dropwork start');
    const s = await serviceStatus(platform, ctx.paths);
    const daemon = s.daemon.running ? `the daemon runs (pid ${s.daemon.pid})` : 'the daemon is not running';
    // Without a systemd user session, systemctl --user fails like the service would: say why and what works.
    const session = platform === 'systemd' ? systemdSession({ env: ctx.env }) : undefined;
    const advice = session && sessionAdvice(session);
    const no = advice ? `; no service can run here: ${advice.why}` : '';
    if (!s.installed) {
      return s.daemon.running
        ? warn(`not installed; ${daemon} in a terminal, and stops when you log out${no}`, advice?.how ?? 'dropwork service install')
        : fail(`not installed, and ${daemon}${no}`, advice?.how ?? 'dropwork service install');
    }
    if (!s.current) return warn(`${s.file} was written for another node, dropwork or home; ${daemon}`, 'install it again: dropwork service install');
    const manager = s.manager.reachable ? `; ${platform}: ${s.manager.detail}` : '';
    const linger = session && lingerNote(session);
    if (s.daemon.running) return pass(`installed (${s.file}) and ${daemon}${manager}${linger ? `; ${linger}` : ''}`);
    if (advice) return fail(`installed, but ${daemon}${no}`, advice.how);
    const start = platform === 'systemd' ? 'systemctl --user start dropwork.service' : 'dropwork service install';
    return fail(`installed, but ${daemon}${s.manager.reachable ? manager : ` (${s.manager.detail})`}`, `${start}; see why it stopped: dropwork service logs`);
  },
};
