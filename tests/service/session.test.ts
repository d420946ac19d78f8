/**
 * What `service install`, `service status` and doctor say where `systemctl --user` cannot work.
 * The three situations are laid out in a temp folder shaped like / (this machine is only one of
 * them: not started by systemd); what each tells a person to do is a command that works there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lingerNote, sessionAdvice, systemdSession } from '../../src/service/session.js';

let root = '';
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A / with these folders (and a process 1 named `init`). */
function machine(...dirs: string[]): string {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-session-'));
  fs.mkdirSync(path.join(root, 'proc', '1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc', '1', 'comm'), 'tini\n');
  for (const d of dirs) fs.mkdirSync(path.join(root, d), { recursive: true });
  return root;
}

const ADA = { uid: 1000, user: 'ada' };

describe('a systemd user session, or what to do without one', () => {
  it('a system not started by systemd (a container, WSL): dropwork start, never systemctl or loginctl', () => {
    const s = systemdSession({ root: machine(), env: {}, ...ADA });
    expect(s).toEqual({ kind: 'not-systemd', init: 'tini' });
    const advice = sessionAdvice(s);
    expect(advice?.why).toBe('this system was not started by systemd (process 1 is tini), so it has no systemd user services');
    expect(advice?.how).toMatch(/^run dropwork from your login: dropwork start /);
    expect(advice?.how).not.toMatch(/systemctl|loginctl/);
  });

  it('systemd, but no user manager for this login (SSH, su): loginctl enable-linger, by name', () => {
    const s = systemdSession({ root: machine('run/systemd/system'), env: { XDG_RUNTIME_DIR: '/run/user/1000' }, ...ADA });
    expect(s).toMatchObject({ kind: 'no-user-manager', user: 'ada', runtimeDir: '/run/user/1000', managerRunning: false });
    const advice = sessionAdvice(s);
    expect(advice?.why).toContain('there is no systemd user session for ada here');
    expect(advice?.how).toMatch(/^loginctl enable-linger ada \(.*\), then, in a new login: dropwork service install$/);
    expect(advice?.how).not.toContain('systemctl');
  });

  it('a user manager that runs, in a shell that does not reach it: the XDG_RUNTIME_DIR to set', () => {
    const s = systemdSession({ root: machine('run/systemd/system', 'run/user/1000/systemd/private'), env: {}, ...ADA });
    const advice = sessionAdvice(s);
    expect(advice?.why).toBe('this shell does not reach your systemd user session (XDG_RUNTIME_DIR is not set; yours is /run/user/1000)');
    expect(advice?.how).toBe('export XDG_RUNTIME_DIR=/run/user/1000, then: dropwork service install');
  });

  it('a working session: no advice; without linger, a note that the service stops at logout', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    machine('run/systemd/system', 'run/user/1000/systemd/private');
    const s = systemdSession({ root, env, ...ADA });
    expect(s).toEqual({ kind: 'ready', user: 'ada', linger: false });
    expect(sessionAdvice(s)).toBeUndefined();
    expect(lingerNote(s)).toBe('it stops when ada logs out; to keep it running: loginctl enable-linger ada');
    fs.mkdirSync(path.join(root, 'var', 'lib', 'systemd', 'linger'), { recursive: true });
    fs.writeFileSync(path.join(root, 'var', 'lib', 'systemd', 'linger', 'ada'), '');
    expect(lingerNote(systemdSession({ root, env, ...ADA }))).toBeUndefined();
  });
});
