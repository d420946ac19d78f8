/**
 * A desktop without notifications must cost nothing but one log line: notify-send missing, no
 * session bus at all, and a session bus that is gone (notify-send really runs and fails).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { NodeNotifierBackend } from '../../src/notify/backend.js';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import { dropFiles, makeHome, startDaemon, waitUntil, type TestHome } from './home.js';

let home: TestHome;
let daemon: Daemon | undefined;
let notifier: Notifier | undefined;

afterEach(async () => {
  await notifier?.stop();
  await daemon?.stop();
  home.remove();
});

/** Two bursts, a window apart, each of which would notify; returns the warnings logged. */
async function twoBursts(backend: NodeNotifierBackend): Promise<{ msg: string; reason?: string; fix?: string }[]> {
  home = makeHome();
  home.rule('copies', 'name: copies\nwatch: inbox\noutput: outputs/copies\nactions:\n  - copy: "."\n');
  const inbox = home.folder('inbox');
  daemon = await startDaemon(home);
  notifier = createNotifier(daemon, backend, { windowMs: 200 });
  notifier.start();
  const d = daemon;
  dropFiles(inbox, 5, (i) => `first-${i}.txt`);
  await waitUntil(() => d.store.counts().succeeded === 5, 'first burst done');
  await new Promise((r) => setTimeout(r, 1500));
  dropFiles(inbox, 5, (i) => `second-${i}.txt`);
  await waitUntil(() => d.store.counts().succeeded === 10, 'second burst done');
  await notifier.stop();
  expect(d.store.counts().failed).toBe(0);
  expect(fs.readdirSync(path.join(home.dir, 'outputs/copies'))).toHaveLength(10);
  return home.logLines().filter((l) => l.level === 'warn' && l.msg.includes('notifications')) as { msg: string; reason?: string; fix?: string }[];
}

describe('a missing or broken notification backend', () => {
  it('notify-send not installed: logged once with the package to install, jobs unaffected', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-nopath-'));
    const warnings = await twoBursts(new NodeNotifierBackend({ ...process.env, PATH: empty }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.reason).toBe('notify-send is not installed');
    expect(warnings[0]?.fix).toContain('libnotify-bin');
    expect(notifier?.status()).toMatchObject({ sent: 0, problem: 'notify-send is not installed' });
  });

  it('no session bus: logged once, saying to run inside the desktop session', async () => {
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.XDG_RUNTIME_DIR;
    const warnings = await twoBursts(new NodeNotifierBackend(env));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.reason).toMatch(/no desktop session bus/);
    expect(warnings[0]?.fix).toContain('dropwork service install');
  });

  it('a session bus that is gone: notify-send runs, fails, and that is logged once', async () => {
    const gone = path.join(os.tmpdir(), `dropwork-no-bus-${process.pid}`);
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${gone}`;
    try {
      const warnings = await twoBursts(new NodeNotifierBackend());
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.reason).toBe('Could not connect: No such file or directory');
      expect(warnings[0]?.fix).toContain('desktop session');
      expect(notifier?.status()).toMatchObject({ sent: 0 });
    } finally {
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
    }
  });
});
