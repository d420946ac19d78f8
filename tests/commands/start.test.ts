import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

describe('the quick start', () => {
  it('`dropwork start` on a new home sets it up with the example rules and runs them', async () => {
    home = makeHome();
    fs.rmSync(home.paths.home, { recursive: true });
    const daemon = await spawnDaemon(home);
    try {
      expect(daemon.output()).toContain(`drop files into ${path.join(home.paths.home, 'inbox', 'sort')}`);
      expect(fs.readdirSync(home.paths.rulesDir).sort()).toEqual(['meeting-notes.yaml', 'receipts.yaml', 'sort-by-month.yaml', 'weekly-spending.yaml']);
      for (const inbox of ['receipts', 'sort', 'meeting-notes']) expect(fs.statSync(home.inbox(inbox)).isDirectory()).toBe(true);
      fs.writeFileSync(path.join(home.inbox('sort'), 'holiday.jpg'), 'jpeg');
      const now = new Date();
      const dest = path.join(home.paths.home, 'outputs', 'sorted', String(now.getFullYear()), String(now.getMonth() + 1).padStart(2, '0'), 'holiday.jpg');
      await waitFor(() => fs.existsSync(dest), 20_000, 'the sorted photo');
      await waitFor(() => !fs.existsSync(path.join(home.inbox('sort'), 'holiday.jpg')), 5000, 'the original to go to the trash');
    } finally {
      daemon.kill('SIGINT');
      expect(await exitOf(daemon)).toBe(0);
    }
  });

  it('`dropwork init` is safe to run twice and never overwrites a rule', async () => {
    home = makeHome();
    fs.rmSync(home.paths.home, { recursive: true });
    const first = await cli(home, ['init']);
    expect(first.stdout).toMatch(/^Created dropwork home: /);
    fs.writeFileSync(path.join(home.paths.rulesDir, 'receipts.yaml'), 'name: mine\nwatch: inbox/mine\nactions: [{copy: x}]\n');
    const second = await cli(home, ['init']);
    expect(second.stdout).toMatch(/^Already set up: /);
    expect(fs.readFileSync(path.join(home.paths.rulesDir, 'receipts.yaml'), 'utf8')).toContain('name: mine');
  });
});
