import { execFile } from 'node:child_process';
import { linuxProblem, onPath, sessionBus } from './backend.js';
import { describeRoute, MacNotifier, type MacOptions } from './mac.js';

export interface ProbeResult {
  ok: boolean;
  /** What works (or what is missing). */
  summary: string;
  fix?: string;
}

/**
 * Whether a notice would reach the screen, without showing one: on Linux, notify-send is
 * there, a session bus is there, and a notification server on it answers
 * GetServerInformation (asked with dbus-send when it is installed).
 */
export async function probeNotifications(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, mac: Omit<MacOptions, 'env'> = {}): Promise<ProbeResult> {
  if (platform === 'darwin') {
    // Which of terminal-notifier (bundled or on PATH) and osascript a notice would go through.
    const notifier = new MacNotifier({ ...mac, env });
    const route = describeRoute(notifier.route());
    return { ok: true, summary: notifier.problem ? `${route}: ${notifier.problem}` : route };
  }
  if (platform !== 'linux') return { ok: true, summary: `node-notifier's ${platform === 'win32' ? 'Windows toasts' : 'Growl'} backend` };
  const problem = linuxProblem(env);
  if (problem) return { ok: false, summary: problem.message, fix: problem.fix };
  const bus = sessionBus(env) as string;
  if (!onPath('dbus-send', env)) return { ok: true, summary: `notify-send on the session bus ${bus} (dbus-send is not installed, so the server was not asked)` };
  const reply = await askServer({ ...env, DBUS_SESSION_BUS_ADDRESS: bus });
  if (!reply.ok) {
    return { ok: false, summary: `no notification server answers on the session bus (${reply.error})`, fix: 'start your desktop\'s notification daemon (e.g. dunst, mako), or log in to a desktop session' };
  }
  return { ok: true, summary: `notify-send → ${reply.server}` };
}

/** org.freedesktop.Notifications.GetServerInformation: name, vendor, version, spec version. */
function askServer(env: NodeJS.ProcessEnv): Promise<{ ok: true; server: string } | { ok: false; error: string }> {
  const args = ['--session', '--print-reply', '--reply-timeout=3000', '--dest=org.freedesktop.Notifications',
    '/org/freedesktop/Notifications', 'org.freedesktop.Notifications.GetServerInformation'];
  return new Promise((resolve) => {
    execFile('dbus-send', args, { env, timeout: 5000 }, (err, stdout, stderr) => {
      if (err) {
        resolve({ ok: false, error: (stderr.trim().split('\n')[0] ?? '') || err.message });
        return;
      }
      const strings = [...stdout.matchAll(/string "([^"]*)"/g)].map((m) => m[1] ?? '');
      resolve({ ok: true, server: strings.slice(0, 3).filter(Boolean).join(' ') || 'a notification server' });
    });
  });
}
