import { noUserManager, run, said } from './exec.js';
import { fillTemplate, UNIT_NAME, type ServicePlan } from './plan.js';
import type { ManagerState, ServiceManager, Started } from './manager.js';
import { lingerNote, sessionAdvice, systemdSession } from './session.js';

/** A systemd user unit (~/.config/systemd/user/dropwork.service), from service/dropwork.service. */
export const systemd: ServiceManager = {
  platform: 'systemd',

  render(plan: ServicePlan): string {
    return fillTemplate('dropwork.service', {
      EXEC_START: [plan.node, plan.script, 'start'].map(execArg).join(' '),
      ENVIRONMENT: Object.entries(plan.env).map(([k, v]) => `Environment=${quoted(`${k}=${v}`)}`).join('\n'),
      ENV_FILE: plan.envFile.replace(/\n/g, ' '),
      WORKING_DIRECTORY: specifiers(plan.paths.home),
      STOP_TIMEOUT: String(plan.stopTimeoutS),
    });
  },

  async start(): Promise<Started> {
    const session = systemdSession();
    const advice = sessionAdvice(session);
    if (advice) return { ok: false, ...advice };
    const reload = await systemctl('daemon-reload');
    if (reload.code !== 0) return { ok: false, why: whyNot(reload), how: `log in to a desktop session with systemd, then: systemctl --user enable --now ${UNIT_NAME}` };
    const enable = await systemctl('enable', '--now', UNIT_NAME);
    if (enable.code !== 0) return { ok: false, why: `systemctl --user enable --now ${UNIT_NAME} failed: ${said(enable)}`, how: 'see why with: dropwork service logs' };
    const linger = lingerNote(session);
    return { ok: true, detail: `enabled (starts with your session) and started${linger ? `; ${linger}` : ''}` };
  },

  async stop(): Promise<Started> {
    const disable = await systemctl('disable', '--now', UNIT_NAME);
    if (disable.code !== 0 && noUserManager(disable)) return { ok: false, why: whyNot(disable), how: 'nothing to stop here' };
    await systemctl('daemon-reload');
    return disable.code === 0 ? { ok: true, detail: 'stopped and disabled' } : { ok: false, why: said(disable), how: `systemctl --user disable --now ${UNIT_NAME}` };
  },

  async state(): Promise<ManagerState> {
    const advice = sessionAdvice(systemdSession());
    if (advice) return { reachable: false, detail: advice.why };
    const active = await systemctl('is-active', UNIT_NAME);
    if (noUserManager(active)) return { reachable: false, detail: whyNot(active) };
    const enabled = await systemctl('is-enabled', UNIT_NAME);
    const a = active.stdout.trim() || 'unknown';
    const e = enabled.stdout.trim() || 'not enabled';
    return { reachable: true, running: a === 'active', detail: `${a}, ${e}` };
  },

  logCommand: ['journalctl', '--user', '-u', UNIT_NAME, '--no-pager', '-o', 'short-iso'],
};

function systemctl(...args: string[]): ReturnType<typeof run> {
  return run('systemctl', ['--user', ...args]);
}

function whyNot(r: Awaited<ReturnType<typeof run>>): string {
  if (r.missing) return 'systemctl is not installed: this system does not use systemd';
  return noUserManager(r) ? sessionAdvice(systemdSession())?.why ?? `there is no systemd user session here (${said(r)})` : said(r);
}

/** What to do to start the installed unit: the systemctl command where it can work, else what can. */
export function systemdStartAdvice(): string {
  const advice = sessionAdvice(systemdSession());
  return advice ? `It cannot start here: ${advice.why}. Instead: ${advice.how}` : `To start it: systemctl --user enable --now ${UNIT_NAME}`;
}

/** `%` starts a systemd specifier (%h, %u...): a literal one is written `%%`. */
function specifiers(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`a service setting cannot contain a line break: ${JSON.stringify(value)}`);
  return value.replace(/%/g, '%%');
}

/** A double-quoted word as systemd reads it (Environment= does not expand `$`). */
function quoted(value: string): string {
  return `"${specifiers(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One ExecStart word: there `$` would expand, so it is doubled. */
function execArg(value: string): string {
  return quoted(value).replace(/\$/g, '$$$$');
}
