import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon.js';
import type { JobRow } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import { CLI, exitOf, makeHome, waitFor, type TestHome } from '../support/home.js';

/** What is not a file to take still gets one history row with the reason, and only one. */

let home: TestHome;
let daemon: Daemon | undefined;
let child: ChildProcess | undefined;
let server: net.Server | undefined;

afterEach(async () => {
  server?.close();
  server = undefined;
  await daemon?.stop();
  daemon = undefined;
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await exitOf(child);
  }
  child = undefined;
  home.cleanup();
});

const RULE = 'name: sort\nwatch: inbox/in\noutput: outputs/sort\nactions: [{copy: "."}]\n';
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 700));

function canMknod(): boolean {
  const probe = path.join(fs.mkdtempSync('/tmp/dropwork-mknod-'), 'null');
  try {
    execFileSync('mknod', [probe, 'c', '1', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(path.dirname(probe), { recursive: true, force: true });
  }
}

describe('entries that are not files', () => {
  it('a FIFO, a socket, a device node and a name that is not UTF-8: one row each, with the reason, through rescans', async () => {
    home = makeHome({ rules: { 'sort.yaml': RULE } });
    const inbox = home.inbox('in');
    fs.mkdirSync(inbox, { recursive: true });
    daemon = new Daemon({ paths: home.paths, configOverrides: { settle_ms: 150 } });
    await daemon.start();
    const jobs = (): JobRow[] => daemon!.store.list({ limit: 1000 });

    execFileSync('mkfifo', [path.join(inbox, 'pipe')]);
    server = net.createServer();
    await new Promise<void>((resolve) => server!.listen(path.join(inbox, 'app.sock'), resolve));
    const device = canMknod();
    if (device) execFileSync('mknod', [path.join(inbox, 'null-device'), 'c', '1', '3']);
    // "bad\xff\xfe name.txt": not UTF-8, written by bytes as a camera or an old archive would.
    fs.writeFileSync(Buffer.concat([Buffer.from(`${inbox}/bad`), Buffer.from([0xff, 0xfe]), Buffer.from(' name.txt')]), 'x');
    fs.writeFileSync(path.join(inbox, 'fine.txt'), 'y');

    const expected = device ? 5 : 4;
    await waitFor(() => jobs().filter((j) => j.status !== 'queued' && j.status !== 'running').length === expected, 20_000, 'a row for each entry');
    const byName = Object.fromEntries(jobs().map((j) => [path.basename(j.file ?? ''), j]));
    expect(byName['pipe']).toMatchObject({ status: 'skipped', reason: 'it is a FIFO (named pipe), not a file; dropwork only takes regular files' });
    expect(byName['app.sock']).toMatchObject({ status: 'skipped', reason: 'it is a socket, not a file; dropwork only takes regular files' });
    if (device) expect(byName['null-device']).toMatchObject({ status: 'skipped', reason: 'it is a device node, not a file; dropwork only takes regular files' });
    expect(byName['bad\\xff\\xfe name.txt']).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^its name is not valid UTF-8 .*rename it/) });
    expect(byName['fine.txt']?.status).toBe('succeeded');

    for (let i = 0; i < 3; i++) {
      daemon.inboxes.rescan();
      await settle();
      await daemon.intake.idle();
    }
    expect(jobs()).toHaveLength(expected);
  });

  it('a file dropwork cannot read: one row with the reason, not a warning at every rescan; taken once it can be read', async () => {
    // Root reads anything, so the daemon runs as root without the capabilities that let it
    // ignore file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): chmod 000 then holds.
    try {
      execFileSync('setpriv', ['--bounding-set=-dac_override,-dac_read_search', 'true'], { stdio: 'ignore' });
    } catch {
      return; // no setpriv here: nothing to run the check as
    }
    home = makeHome({ rules: { 'sort.yaml': RULE }, config: 'settle_ms: 150\nrescan_minutes: 0.02\n' });
    const inbox = home.inbox('in');
    fs.mkdirSync(inbox, { recursive: true });
    fs.mkdirSync(home.output('sort'), { recursive: true });
    const locked = path.join(inbox, 'locked.pdf');
    fs.writeFileSync(locked, 'secret');
    fs.chmodSync(locked, 0o000);
    child = spawn('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search', process.execPath, CLI, 'start'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor(() => out.includes('dropwork is running'), 30_000, 'the daemon');
    const rows = (): JobRow[] => {
      const store = new Store(home.paths.dbFile);
      try {
        return store.list({ limit: 100 });
      } finally {
        store.close();
      }
    };
    await waitFor(() => rows().length === 1, 20_000, 'the row for the unreadable file');
    expect(rows()[0]).toMatchObject({ status: 'skipped', file: locked, reason: expect.stringMatching(/^dropwork cannot read it \(EACCES\); it is tried again at every rescan/) });
    // rescan_minutes 0.02: a rescan every 1.2 s. Several pass; still one row, no warnings.
    await new Promise((r) => setTimeout(r, 4000));
    expect(rows()).toHaveLength(1);
    expect(out).not.toMatch(/could not (read|take) a dropped file/);
    fs.chmodSync(locked, 0o644);
    await waitFor(() => rows().some((r) => r.status === 'succeeded'), 20_000, 'the file, once readable');
    expect(rows()).toHaveLength(2);
  }, 90_000);
});
