/**
 * Under a service manager each log line is written once, to the daemon's log file: a real
 * `dropwork start` with the environment the unit and the plist set, its stderr in a file as
 * launchd and the journal keep it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { underServiceManager } from '../../src/service/supervised.js';
import { environment, parseUnit } from './unit-file.js';
import { BIN, cli, makeMachine, startLikeManager, stopChild, writeCopyRule, type Machine } from './helpers.js';

let m: Machine;
afterEach(() => m.remove());

async function runDaemon(extraEnv: NodeJS.ProcessEnv): Promise<{ log: string; stderr: string }> {
  writeCopyRule(m.home);
  const errFile = path.join(m.root, 'stderr.log');
  const errFd = fs.openSync(errFile, 'a');
  const env = { ...m.env, ...extraEnv };
  const child = await startLikeManager([process.execPath, BIN, 'start'], env, m.home, m.env, ['ignore', 'ignore', errFd]);
  expect(await stopChild(child)).toBe(0);
  fs.closeSync(errFd);
  return { log: fs.readFileSync(path.join(m.home, 'logs', 'dropwork.log'), 'utf8'), stderr: fs.readFileSync(errFile, 'utf8') };
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('logging under a service manager', () => {
  it('writes each line once, to the log file, with the environment the unit sets', async () => {
    m = makeMachine();
    await cli(['service', 'install', '--platform', 'systemd', '--no-start'], m.env);
    const unit = fs.readFileSync(path.join(m.root, '.config', 'systemd', 'user', 'dropwork.service'), 'utf8');
    expect(environment(parseUnit(unit)).DROPWORK_SERVICE).toBe('1');
    const { log, stderr } = await runDaemon({ DROPWORK_SERVICE: '1' });
    expect(count(log, '"msg":"dropwork is running"')).toBe(1);
    expect(stderr).not.toContain('dropwork is running');
  });

  it('still prints readable lines on stderr when started by hand', async () => {
    m = makeMachine();
    const { log, stderr } = await runDaemon({});
    expect(count(log, '"msg":"dropwork is running"')).toBe(1);
    expect(stderr).toMatch(/INFO {2}dropwork is running rules=1/);
  });

  it('trusts JOURNAL_STREAM only when it names the stderr this process really has', () => {
    m = makeMachine();
    const file = path.join(m.root, 'journal-stand-in');
    const fd = fs.openSync(file, 'w');
    try {
      const st = fs.fstatSync(fd);
      expect(underServiceManager({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
      expect(underServiceManager({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }, fd)).toBe(false);
      expect(underServiceManager({}, fd)).toBe(false);
      expect(underServiceManager({ XPC_SERVICE_NAME: 'com.dropwork.daemon' }, fd)).toBe(true);
      expect(underServiceManager({ XPC_SERVICE_NAME: 'com.apple.Terminal' }, fd)).toBe(false);
    } finally {
      fs.closeSync(fd);
    }
  });
});
