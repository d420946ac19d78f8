/**
 * The notifier as the daemon runs it (the registered plugin, its real 3 s window, node-notifier
 * → notify-send → dunst), read back from the D-Bus Notify calls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import '../../src/notify/index.js';
import { startDesktopSession, type DesktopSession } from './desktop-session.js';
import { dropFiles, makeHome, startDaemon, waitUntil, type TestHome } from './home.js';

let desktop: DesktopSession;
let home: TestHome;
let daemon: Daemon | undefined;

beforeAll(async () => {
  desktop = await startDesktopSession();
  Object.assign(process.env, desktop.env);
});
afterAll(async () => {
  await desktop.close();
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  home.remove();
});

const RECEIPTS = `name: receipts
watch: inbox/receipts
output: outputs/receipts
actions:
  - copy: "."
`;

describe('notifications from a real daemon on a real D-Bus session', () => {
  it('gives one notice for a burst of 40 files, naming the count, a file and the outputs folder', async () => {
    home = makeHome();
    home.rule('receipts', RECEIPTS);
    const inbox = home.folder('inbox/receipts');
    daemon = await startDaemon(home);
    const before = desktop.calls().length;
    const files = dropFiles(inbox, 40, (i) => `receipt-${String(i).padStart(2, '0')}.pdf`);
    const d = daemon;
    await waitUntil(() => d.store.counts().succeeded === 40, '40 jobs succeeded');
    expect(fs.readdirSync(path.join(home.dir, 'outputs/receipts'))).toHaveLength(40);
    // The window is 3 s after the first success; then 2 s of quiet proves no second notice.
    const calls = (await desktop.settle(before + 1, 2500)).slice(before);
    expect(calls).toHaveLength(1);
    const [notice] = calls;
    expect(notice?.app).toBe('dropwork');
    expect(notice?.summary).toBe('receipts: 40 files processed');
    expect(notice?.body).toMatch(/receipt-\d\d\.pdf, receipt-\d\d\.pdf, receipt-\d\d\.pdf and 37 more/);
    expect(notice?.body).toContain('40 results. Results in ~/outputs/receipts');
    expect(notice?.urgency).toBe(1);
    expect(files).toHaveLength(40);
  });

  it('names the file and what it produced when one file is done', async () => {
    home = makeHome();
    home.rule('receipts', RECEIPTS);
    const inbox = home.folder('inbox/receipts');
    daemon = await startDaemon(home);
    const before = desktop.calls().length;
    dropFiles(inbox, 1, () => 'invoice march.pdf');
    const calls = (await desktop.settle(before + 1, 1500)).slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.summary).toBe('receipts: invoice march.pdf done');
    expect(calls[0]?.body).toBe('Made invoice march.pdf\nResults in ~/outputs/receipts');
  });
});
