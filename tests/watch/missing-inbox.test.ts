import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uiToken } from '../../src/web/token.js';
import { request } from '../web/helpers.js';
import { cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';

let home: TestHome;

afterEach(() => home.cleanup());

describe('an inbox that does not exist', () => {
  it('is created only inside the home; elsewhere it is reported by rules check, status and the dashboard, and watched once it appears', async () => {
    home = makeHome({
      rules: {
        'scans.yaml': 'name: scans\nwatch: ~/Dropbox/Scans\noutput: outputs/scans\nactions: [{copy: "."}]\n',
        'local.yaml': 'name: local\nwatch: inbox/local\noutput: outputs/local\nactions: [{copy: "."}]\n',
      },
    });
    const scans = path.join(home.env.HOME!, 'Dropbox', 'Scans');
    const said = 'inbox ~/Dropbox/Scans does not exist';

    const check = await cli(home, ['rules', 'check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`scans.yaml:1 rule "scans": warning: ${said}; dropwork starts watching it when it appears`);
    const checkJson = JSON.parse((await cli(home, ['rules', 'check', '--json'])).stdout) as { warnings: { rule: string; message: string }[] };
    expect(checkJson.warnings).toEqual([expect.objectContaining({ rule: 'scans', message: expect.stringContaining(said) })]);

    const daemon = await spawnDaemon(home);
    try {
      expect(fs.existsSync(path.join(home.env.HOME!, 'Dropbox'))).toBe(false);
      expect(fs.existsSync(home.inbox('local'))).toBe(true);
      await waitFor(() => fs.existsSync(home.paths.pidFile));
      const status = await cli(home, ['status']);
      expect(status.stdout).toMatch(new RegExp(`${scans.replace(/[/.]/g, '\\$&')}\\s+not watching: ${said}; watching starts when it appears`));
      const json = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { inboxes: { path: string; mode: string }[] };
      expect(json.inboxes).toContainEqual(expect.objectContaining({ path: scans, mode: 'missing' }));

      const port = Number(/dashboard is up.* port=(\d+)/.exec(daemon.output())?.[1]);
      const rules = (await request(port, 'GET', '/api/rules', { Authorization: `Bearer ${uiToken(home.paths)}` })).json<{ rules: { name: string; missing_inboxes: string[] }[] }>();
      expect(rules.rules.find((r) => r.name === 'scans')?.missing_inboxes).toEqual([`${said}; dropwork starts watching it when it appears`]);
      expect(rules.rules.find((r) => r.name === 'local')?.missing_inboxes).toEqual([]);

      // Dropbox arrives: the inbox is watched, and what is in it is taken.
      fs.mkdirSync(scans, { recursive: true });
      fs.writeFileSync(path.join(scans, 'page.pdf'), 'scanned');
      await waitFor(() => fs.existsSync(path.join(home.output('scans'), 'page.pdf')), 20_000, 'the file in the inbox that appeared');
      // The heartbeat (every 5 s) carries the new state to `status`.
      let modes: string[] = [];
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        modes = (JSON.parse((await cli(home, ['status', '--json'])).stdout) as { inboxes: { mode: string }[] }).inboxes.map((i) => i.mode);
        if (!modes.includes('missing')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(modes).toEqual(['events', 'events']);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  }, 90_000);

  it("a scheduled rule's inboxes are created at start and when its file is added, as watched ones are; `dropwork run` then reads a real folder", async () => {
    home = makeHome({
      rules: { 'night.yaml': 'name: night\nwatch: inbox/night\nschedule: "30 2 * * *"\noutput: outputs/night\nactions: [{copy: "."}]\n' },
    });
    const daemon = await spawnDaemon(home);
    try {
      expect(fs.statSync(home.inbox('night')).isDirectory()).toBe(true);
      // A scheduled do: rule added while running: its inbox and the folder its agent reads.
      home.writeRule('weekly.yaml', 'name: weekly\nwatch: inbox/weekly\nschedule: "0 8 * * MON"\ninput: outputs/receipts\noutput: outputs/weekly\ndo: Sum it up.\n');
      await waitFor(() => fs.existsSync(home.inbox('weekly')) && fs.existsSync(home.output('receipts')), 20_000, 'the new scheduled rule\'s folders');
      fs.writeFileSync(path.join(home.inbox('night'), 'a.txt'), 'a');
      const run = await cli(home, ['run', '--rule', 'night']);
      expect(run.stdout).toContain(`1 file(s) in ${home.inbox('night')}`);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  }, 60_000);
});
