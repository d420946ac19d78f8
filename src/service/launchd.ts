import path from 'node:path';
import { run, said } from './exec.js';
import type { ManagerState, ServiceManager, Started } from './manager.js';
import { fillTemplate, LAUNCHD_LABEL, type ServicePlan } from './plan.js';

/** Where launchd sends the daemon's stdout and stderr (the readable log lines). */
export function launchdLogs(plan: ServicePlan): { stdout: string; stderr: string } {
  return { stdout: path.join(plan.paths.logsDir, 'service.out.log'), stderr: path.join(plan.paths.logsDir, 'service.err.log') };
}

/** A LaunchAgent (~/Library/LaunchAgents/com.dropwork.daemon.plist), from service/dropwork.plist. */
export const launchd: ServiceManager = {
  platform: 'launchd',

  render(plan: ServicePlan): string {
    const logs = launchdLogs(plan);
    const args = [plan.node, plan.script, 'start'];
    return fillTemplate('dropwork.plist', {
      LABEL: xml(LAUNCHD_LABEL),
      ENV_FILE: xml(plan.envFile).replace(/--/g, '-&#45;'),
      PROGRAM_ARGUMENTS: args.map((a) => `    <string>${xml(a)}</string>`).join('\n'),
      ENVIRONMENT: Object.entries(plan.env).map(([k, v]) => `    <key>${xml(k)}</key>\n    <string>${xml(v)}</string>`).join('\n'),
      WORKING_DIRECTORY: xml(plan.paths.home),
      STOP_TIMEOUT: String(plan.stopTimeoutS),
      STDOUT: xml(logs.stdout),
      STDERR: xml(logs.stderr),
    });
  },

  async start(plan: ServicePlan): Promise<Started> {
    const domain = guiDomain();
    // A plist loaded from an earlier install must go first, or bootstrap refuses the new one.
    await run('launchctl', ['bootout', `${domain}/${LAUNCHD_LABEL}`]);
    const boot = await run('launchctl', ['bootstrap', domain, plan.file]);
    if (boot.missing) return { ok: false, why: 'launchctl is not installed: launchd services exist only on macOS', how: 'on Linux use --platform systemd' };
    if (boot.code !== 0) return { ok: false, why: `launchctl bootstrap failed: ${said(boot)}`, how: `see why with: dropwork service logs` };
    return { ok: true, detail: 'loaded (starts when you log in) and started' };
  },

  async stop(): Promise<Started> {
    const out = await run('launchctl', ['bootout', `${guiDomain()}/${LAUNCHD_LABEL}`]);
    if (out.missing) return { ok: false, why: 'launchctl is not installed', how: 'nothing to stop here' };
    return out.code === 0 ? { ok: true, detail: 'stopped and unloaded' } : { ok: false, why: said(out), how: `launchctl bootout ${guiDomain()}/${LAUNCHD_LABEL}` };
  },

  async state(): Promise<ManagerState> {
    const out = await run('launchctl', ['print', `${guiDomain()}/${LAUNCHD_LABEL}`]);
    if (out.missing) return { reachable: false, detail: 'launchctl is not installed: launchd services exist only on macOS' };
    if (out.code !== 0) return { reachable: true, running: false, detail: 'not loaded' };
    const state = out.stdout.match(/^\s*state = (\S+)/m)?.[1] ?? 'unknown';
    const pid = out.stdout.match(/^\s*pid = (\d+)/m)?.[1];
    return { reachable: true, running: state === 'running', detail: pid ? `${state} (pid ${pid})` : state };
  },
};

function guiDomain(): string {
  return `gui/${process.getuid?.() ?? 501}`;
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
