import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cli, exitOf, makeHome, waitFor, type TestHome } from '../support/home.js';

/**
 * The OS watch limit, for real: the daemon runs in its own user namespace, whose inotify limit
 * (/proc/sys/user/max_inotify_watches, per namespace since Linux 5.11) is lowered to 50 there
 * only, so other tests running beside it keep the machine's limit.
 */
function canLowerWatchLimit(): boolean {
  try {
    execFileSync('unshare', ['-U', '-r', 'sh', '-c', 'echo 50 > /proc/sys/user/max_inotify_watches'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let home: TestHome;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await exitOf(child);
  }
  child = undefined;
  home.cleanup();
});

describe('starting with an inbox already past the OS watch limit', () => {
  it.skipIf(!canLowerWatchLimit())('says running, polls the inbox, and processes files found before and after', async () => {
    home = makeHome({ rules: { 'deep.yaml': 'name: deep\nwatch: inbox/deep\nrecursive: true\noutput: outputs/deep\nactions: [{copy: "."}]\n' } });
    const inbox = home.inbox('deep');
    for (let i = 0; i < 200; i++) fs.mkdirSync(path.join(inbox, `folder ${i}`), { recursive: true });
    fs.writeFileSync(path.join(inbox, 'folder 150', 'before.txt'), 'there before the start');
    child = spawn('unshare', ['-U', '-r', 'sh', '-c', `echo 50 > /proc/sys/user/max_inotify_watches && exec "${process.execPath}" "${CLI}" start`], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor(() => out.includes('dropwork is running') || child?.exitCode !== null, 60_000, `"running" in the log:\n${out}`);
    expect(out).toContain('dropwork is running');
    expect(out).toMatch(/watch limit was reached \((ENOSPC|EMFILE)\); polling instead/);

    const status = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { running: boolean; inboxes: { path: string; mode: string }[] };
    expect(status.running).toBe(true);
    expect(status.inboxes).toEqual([expect.objectContaining({ path: inbox, mode: 'polling' })]);

    const outputs = (): string[] => (fs.existsSync(home.output('deep')) ? fs.readdirSync(home.output('deep')).sort() : []);
    await waitFor(() => outputs().includes('before.txt'), 30_000, 'the file there before the start');
    fs.writeFileSync(path.join(inbox, 'folder 7', 'after.txt'), 'dropped while polling');
    await waitFor(() => outputs().includes('after.txt'), 30_000, 'the file dropped after the start');
    expect(outputs()).toEqual(['after.txt', 'before.txt']);
  }, 120_000);
});
