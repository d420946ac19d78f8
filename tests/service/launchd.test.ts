/**
 * `dropwork service install --platform launchd` in a temporary HOME. There is no launchd here,
 * so the plist is read back with the `plist` package (an independent parser) and its program is
 * started the way launchd would: its ProgramArguments, its EnvironmentVariables and nothing
 * else of the shell, its WorkingDirectory, stdout and stderr to its files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parsePlist } from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cli, KEY, makeMachine, startLikeManager, stopChild, writeCopyRule, type Machine } from './helpers.js';

let m: Machine;
afterEach(() => m.remove());

const plistPath = (): string => path.join(m.root, 'Library', 'LaunchAgents', 'com.dropwork.daemon.plist');

interface Agent {
  Label: string;
  ProgramArguments: string[];
  EnvironmentVariables: Record<string, string>;
  WorkingDirectory: string;
  RunAtLoad: boolean;
  KeepAlive: { SuccessfulExit: boolean };
  StandardOutPath: string;
  StandardErrorPath: string;
}

function readAgent(): Agent {
  return parsePlist(fs.readFileSync(plistPath(), 'utf8')) as unknown as Agent;
}

describe('dropwork service (launchd)', () => {
  it('writes a LaunchAgent that parses, runs the same node and dropwork, at login, kept alive, logging to the log folder', async () => {
    m = makeMachine();
    const out = await cli(['service', 'install', '--platform', 'launchd', '--no-start'], m.env);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain(`Wrote: ${plistPath()}`);
    const agent = readAgent();
    expect(agent.Label).toBe('com.dropwork.daemon');
    expect(agent.ProgramArguments).toEqual([process.execPath, fs.realpathSync(BIN), 'start']);
    expect(agent.RunAtLoad).toBe(true);
    expect(agent.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(agent.StandardOutPath).toBe(path.join(m.home, 'logs', 'service.out.log'));
    expect(agent.StandardErrorPath).toBe(path.join(m.home, 'logs', 'service.err.log'));
    expect(agent.EnvironmentVariables.DROPWORK_HOME).toBe(m.home);
    expect(agent.WorkingDirectory).toBe(m.home);
    expect(fs.readFileSync(plistPath(), 'utf8') + out.stdout + out.stderr).not.toContain(KEY);
    expect(fs.statSync(path.join(m.home, 'credentials.env')).mode & 0o777).toBe(0o600);
  });

  it('runs as launchd would run it, each log line once in its own log and not again in StandardErrorPath', async () => {
    m = makeMachine();
    writeCopyRule(m.home);
    await cli(['service', 'install', '--platform', 'launchd', '--no-start'], m.env);
    const agent = readAgent();
    const outFd = fs.openSync(agent.StandardOutPath, 'a');
    const errFd = fs.openSync(agent.StandardErrorPath, 'a');
    const child = await startLikeManager(agent.ProgramArguments, { HOME: m.root, ...agent.EnvironmentVariables }, agent.WorkingDirectory, m.env, ['ignore', outFd, errFd]);
    expect(await stopChild(child)).toBe(0);
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    // launchd keeps stderr in a file: the daemon's lines go to its own log once, not there too.
    expect(agent.EnvironmentVariables.DROPWORK_SERVICE).toBe('1');
    expect(fs.readFileSync(agent.StandardErrorPath, 'utf8')).not.toContain('dropwork is running');
    expect(fs.readFileSync(path.join(m.home, 'logs', 'dropwork.log'), 'utf8').split('"msg":"dropwork is running"')).toHaveLength(2);
    const logs = await cli(['service', 'logs', '--platform', 'launchd', '-n', '5'], m.env);
    // An empty StandardErrorPath is left out; the daemon's log says it ran, once.
    expect(logs.stdout).not.toContain(`── ${agent.StandardErrorPath}`);
    expect(logs.stdout.match(/INFO {2}dropwork is running rules=1/g)).toHaveLength(1);
  });

  it('says clearly that launchctl is missing when asked to start here, and uninstall removes the plist', async () => {
    m = makeMachine();
    const out = await cli(['service', 'install', '--platform', 'launchd'], m.env);
    expect(out.code, out.stdout + out.stderr).toBe(1);
    expect(out.stdout).toContain('Could not start it: launchctl is not installed: launchd services exist only on macOS.');
    expect(fs.existsSync(plistPath())).toBe(true);
    const status = JSON.parse((await cli(['service', 'status', '--platform', 'launchd', '--json'], m.env)).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ platform: 'launchd', file: plistPath(), installed: true, current: true, manager: { reachable: false } });
    const gone = await cli(['service', 'uninstall', '--platform', 'launchd'], m.env);
    expect(gone.code, gone.stdout + gone.stderr).toBe(0);
    expect(fs.existsSync(plistPath())).toBe(false);
    expect(fs.readdirSync(path.dirname(plistPath()))).toEqual([]);
  });
});
