/**
 * `dropwork service install --platform systemd` in a temporary HOME: the unit passes
 * systemd-analyze verify (and a broken one does not), it runs the same node and dropwork with
 * the same home, it holds no key, and uninstall takes it away again. This machine has no
 * systemd user session, which is also what install must explain when asked to start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cli, KEY, makeMachine, run, startLikeManager, stopChild, writeCopyRule, type Machine } from './helpers.js';
import { environment, parseUnit, words } from './unit-file.js';

let m: Machine;
afterEach(() => m.remove());

const unitPath = (): string => path.join(m.root, '.config', 'systemd', 'user', 'dropwork.service');
const verify = (file: string): ReturnType<typeof run> => run('systemd-analyze', ['verify', '--user', file], m.env);

describe('dropwork service (systemd)', () => {
  it('writes a user unit that systemd-analyze verify accepts, with --no-start', async () => {
    m = makeMachine();
    const out = await cli(['service', 'install', '--platform', 'systemd', '--no-start'], m.env);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain(`Wrote: ${unitPath()}`);
    // This machine has no systemd user session: the way to start it is not a systemctl command that fails the same way.
    expect(out.stdout).toMatch(/Not started \(--no-start\)\. It cannot start here: .+\. Instead: /);
    expect(out.stdout).not.toContain('systemctl --user');
    const checked = await verify(unitPath());
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);

    const text = fs.readFileSync(unitPath(), 'utf8');
    const unit = parseUnit(text);
    expect(unit.Service?.Restart).toEqual(['on-failure']);
    expect(unit.Install?.WantedBy).toEqual(['default.target']);
    expect(words(unit.Service?.ExecStart?.[0] ?? '', { dollars: true })).toEqual([process.execPath, fs.realpathSync(BIN), 'start']);
    expect(environment(unit).DROPWORK_HOME).toBe(m.home);
    expect(words(unit.Service?.WorkingDirectory?.[0] ?? '', { dollars: false })).toEqual(m.home.split(' '));
  });

  it("gives the service a PATH of its own, the node's folder and the system's, each once, not the installing shell's", async () => {
    m = makeMachine();
    const node = path.dirname(process.execPath);
    const env = { ...m.env, PATH: `/opt/tool-of-the-day/bin:${node}:/usr/bin:/usr/bin:${m.env.PATH ?? ''}:/usr/bin` };
    expect((await cli(['service', 'install', '--platform', 'systemd', '--no-start'], env)).code).toBe(0);
    const unit = parseUnit(fs.readFileSync(unitPath(), 'utf8'));
    const dirs = (environment(unit).PATH ?? '').split(':');
    expect(dirs).toEqual([...new Set([node, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])]);
    // Installed from another shell, the file is the same: status does not call it out of date.
    const status = JSON.parse((await cli(['service', 'status', '--platform', 'systemd', '--json'], m.env)).stdout) as { current: boolean };
    expect(status.current).toBe(true);
  });

  it('fails verification when the unit is broken, so the check above means something', async () => {
    m = makeMachine();
    await cli(['service', 'install', '--platform', 'systemd', '--no-start'], m.env);
    const good = fs.readFileSync(unitPath(), 'utf8');
    const broken = path.join(path.dirname(unitPath()), 'broken.service');
    fs.writeFileSync(broken, good.replace(process.execPath, '/nowhere/node'));
    expect((await verify(broken)).code).not.toBe(0);
    fs.writeFileSync(broken, good.replace('Restart=on-failure', 'Restart=on-failur'));
    expect((await verify(broken)).stderr).toContain('restart specifier');
  });

  it('keeps the key out of the unit and the output, in credentials.env with mode 0600', async () => {
    m = makeMachine();
    fs.mkdirSync(m.home, { recursive: true });
    fs.writeFileSync(path.join(m.home, 'credentials.env'), '# mine\n', { mode: 0o644 });
    const out = await cli(['service', 'install', '--platform', 'systemd', '--no-start'], m.env);
    expect(out.stdout).toContain('copied ANTHROPIC_API_KEY from this shell\'s environment into it');
    expect(out.stdout).toContain('it was readable by other users; it is now private to you');
    expect(out.stdout + out.stderr + fs.readFileSync(unitPath(), 'utf8')).not.toContain(KEY);
    const creds = path.join(m.home, 'credentials.env');
    expect(fs.statSync(creds).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(creds, 'utf8')).toBe(`# mine\nANTHROPIC_API_KEY=${KEY}\n`);
  });

  it('runs: the unit\'s command line and environment start a daemon for the same home', async () => {
    m = makeMachine();
    writeCopyRule(m.home);
    await cli(['service', 'install', '--platform', 'systemd', '--no-start'], m.env);
    const unit = parseUnit(fs.readFileSync(unitPath(), 'utf8'));
    const argv = words(unit.Service?.ExecStart?.[0] ?? '', { dollars: true });
    // systemd gives a service HOME and the unit's Environment=, nothing of the shell.
    const env = { HOME: m.root, ...environment(unit) };
    const cwd = words(unit.Service?.WorkingDirectory?.[0] ?? '', { dollars: false }).join(' ');
    const child = await startLikeManager(argv, env, cwd, m.env);
    const status = JSON.parse((await cli(['service', 'status', '--platform', 'systemd', '--json'], m.env)).stdout) as { installed: boolean; current: boolean; daemon: { running: boolean; pid: number } };
    expect(status).toMatchObject({ installed: true, current: true, daemon: { running: true, pid: child.pid } });
    // Restart=on-failure: a stop must be a clean exit, or systemd would start it again.
    expect(await stopChild(child)).toBe(0);
    const logs = await cli(['service', 'logs', '--platform', 'systemd', '-n', '20'], m.env);
    expect(logs.code, logs.stdout + logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO {2}dropwork is running rules=1/);
  });

  it('says clearly that it could not start without a systemd user session, and still writes the unit', async () => {
    m = makeMachine();
    const out = await cli(['service', 'install', '--platform', 'systemd'], m.env);
    expect(out.code, out.stdout + out.stderr).toBe(1);
    if (fs.existsSync('/run/systemd/system')) {
      expect(out.stdout).toMatch(/Could not start it: (there is no systemd user session for .+ here|this shell does not reach your systemd user session)/);
      expect(out.stdout).toMatch(/loginctl enable-linger|export XDG_RUNTIME_DIR=/);
    } else {
      expect(out.stdout).toMatch(/Could not start it: this system was not started by systemd \(process 1 is .+\), so it has no systemd user services\./);
      expect(out.stdout).toContain('run dropwork from your login: dropwork start');
    }
    expect(out.stdout).not.toContain('systemctl --user');
    expect(out.stdout).toContain('The unit is written');
    expect(fs.existsSync(unitPath())).toBe(true);
  });

  it('status reports the file and the service manager; uninstall removes what install wrote', async () => {
    m = makeMachine();
    const before = JSON.parse((await cli(['service', 'status', '--platform', 'systemd', '--json'], m.env)).stdout) as Record<string, unknown>;
    expect(before).toMatchObject({ platform: 'systemd', installed: false, manager: { reachable: false }, daemon: { running: false } });
    await cli(['service', 'install', '--platform', 'systemd', '--no-start'], m.env);
    const after = await cli(['service', 'status', '--platform', 'systemd'], m.env);
    expect(after.stdout).toContain(`systemd: installed at ${unitPath()}`);
    expect(after.stdout).toMatch(/service manager: (this system was not started by systemd|there is no systemd user session|this shell does not reach your systemd user session)/);
    expect(after.stdout).toContain('daemon for this home: not running');
    const gone = await cli(['service', 'uninstall', '--platform', 'systemd'], m.env);
    expect(gone.code, gone.stdout + gone.stderr).toBe(0);
    expect(gone.stdout).toContain(`Removed: ${unitPath()}`);
    expect(fs.existsSync(unitPath())).toBe(false);
    expect(fs.existsSync(path.join(m.home, 'credentials.env'))).toBe(true);
    expect((JSON.parse((await cli(['service', 'status', '--platform', 'systemd', '--json'], m.env)).stdout) as { installed: boolean }).installed).toBe(false);
  });
});
