import { serviceStatus } from '../../service/commands.js';
import { defaultPlatform } from '../../service/plan.js';
import { fail, pass, warn, type Check } from '../check.js';

export const serviceCheck: Check = {
  id: 'service',
  title: 'Service',
  async run(ctx) {
    const platform = defaultPlatform(ctx.platform);
    if (!platform) return warn(`no background service on ${ctx.platform}`, 'start dropwork from your login: dropwork start');
    const s = await serviceStatus(platform, ctx.paths);
    const daemon = s.daemon.running ? `the daemon runs (pid ${s.daemon.pid})` : 'the daemon is not running';
    if (!s.installed) {
      return s.daemon.running
        ? warn(`not installed; ${daemon} in a terminal, and stops when you log out`, 'dropwork service install')
        : fail(`not installed, and ${daemon}`, 'dropwork service install');
    }
    if (!s.current) return warn(`${s.file} was written for another node, dropwork or home; ${daemon}`, 'install it again: dropwork service install');
    const manager = s.manager.reachable ? `; ${platform}: ${s.manager.detail}` : '';
    if (s.daemon.running) return pass(`installed (${s.file}) and ${daemon}${manager}`);
    const start = platform === 'systemd' ? 'systemctl --user start dropwork.service' : 'dropwork service install';
    return fail(`installed, but ${daemon}${s.manager.reachable ? manager : ` (${s.manager.detail})`}`, `${start}; see why it stopped: dropwork service logs`);
  },
};
