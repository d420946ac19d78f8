import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether `systemctl --user` can work here, found by looking (as systemd's own sd_booted() and
 * systemctl do) rather than by running it: a machine without a user session must not be told
 * to run `systemctl --user` commands that fail the same way. Three situations need three
 * answers: no systemd at all (a container, WSL without systemd: no user services, only
 * `dropwork start`); systemd but no user manager for this login (an SSH or `su` session on a
 * server: `loginctl enable-linger` starts one); a user manager that stops at logout (linger off).
 */
export type SystemdSession =
  | { kind: 'ready'; user: string; linger: boolean }
  | { kind: 'no-user-manager'; user: string; runtimeDir: string; managerRunning: boolean; shellRuntimeDir: string | undefined }
  | { kind: 'not-systemd'; init: string };

/** Where to look; tests point `root` at a folder laid out like /. */
export interface SessionProbe {
  root?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  user?: string;
}

export function systemdSession(probe: SessionProbe = {}): SystemdSession {
  const root = probe.root ?? '/';
  const env = probe.env ?? process.env;
  const at = (...parts: string[]): string => path.join(root, ...parts);
  if (!fs.existsSync(at('run', 'systemd', 'system'))) return { kind: 'not-systemd', init: initName(at('proc', '1', 'comm')) };
  const uid = probe.uid ?? process.getuid?.() ?? 0;
  const user = probe.user ?? env.USER ?? env.LOGNAME ?? os.userInfo().username;
  const linger = fs.existsSync(at('var', 'lib', 'systemd', 'linger', user));
  const runtimeDir = at('run', 'user', String(uid));
  // systemctl --user talks to the manager's socket in $XDG_RUNTIME_DIR.
  const managerRunning = fs.existsSync(path.join(runtimeDir, 'systemd', 'private'));
  const reachable = env.XDG_RUNTIME_DIR ? fs.existsSync(path.join(root, env.XDG_RUNTIME_DIR, 'systemd', 'private')) : false;
  if (reachable) return { kind: 'ready', user, linger };
  return { kind: 'no-user-manager', user, runtimeDir: path.join('/', path.relative(root, runtimeDir)), managerRunning, shellRuntimeDir: env.XDG_RUNTIME_DIR || undefined };
}

function initName(commFile: string): string {
  try {
    return fs.readFileSync(commFile, 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Why `systemctl --user` cannot work here and what to do instead; undefined when it can. */
export function sessionAdvice(s: SystemdSession): { why: string; how: string } | undefined {
  switch (s.kind) {
    case 'ready':
      return undefined;
    case 'not-systemd':
      return {
        why: `this system was not started by systemd (process 1 is ${s.init}), so it has no systemd user services`,
        how: 'run dropwork from your login: dropwork start (inside tmux or screen it keeps running after you log out); on WSL, turn systemd on ([boot] systemd=true in /etc/wsl.conf, then wsl --shutdown) and run dropwork service install again',
      };
    case 'no-user-manager':
      return s.managerRunning
        ? {
          why: `this shell does not reach your systemd user session (XDG_RUNTIME_DIR is ${s.shellRuntimeDir ?? 'not set'}; yours is ${s.runtimeDir})`,
          how: `export XDG_RUNTIME_DIR=${s.runtimeDir}, then: dropwork service install`,
        }
        : {
          why: `there is no systemd user session for ${s.user} here (no user manager runs: a login over SSH or su does not start one)`,
          how: `loginctl enable-linger ${s.user} (with sudo if it is refused; it starts your user manager now and at every boot, logged in or not), then, in a new login: dropwork service install`,
        };
  }
}

/** For a service that works: whether it outlives the login, said once where it matters. */
export function lingerNote(s: SystemdSession): string | undefined {
  if (s.kind !== 'ready' || s.linger) return undefined;
  return `it stops when ${s.user} logs out; to keep it running: loginctl enable-linger ${s.user}`;
}
