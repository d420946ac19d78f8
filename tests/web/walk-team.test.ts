/**
 * The walk of issue 19 for a job on a team: a real PostgreSQL cluster, a host that only collects
 * files (laptop) and one that only runs jobs (server), each its own `dropwork start` with its own
 * dashboard. A file dropped into the laptop's inbox is queued there and run on the server; both
 * hosts' job page and jobs list (in Chromium), `jobs show` and `status` are read and checked:
 * which host queued it and which ran it said in words, no raw field name, no `null`/`undefined`,
 * times local (Europe/Paris) and marked, the laptop not told it lacks a key, and the server's
 * Rules page not offering a file of an inbox it never watches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/queue/open.js';
import type { JobView } from '../../src/queue/status.js';
import { useCluster } from '../support/team.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, startDaemon, type DaemonHome } from './daemon.js';
import { request, until } from './helpers.js';
import { CLOCK, collectKeys, expectTrueWords, MARK, pageText, UNFINISHED, ZONE } from './walk-words.js';

// The same text on both hosts (a relative inbox is the home's), so no rule reads differently.
const RULES = `
- name: scans
  watch: inbox/scans
  output: outputs/scans
  actions:
    - copy: "."
`;

const team = useCluster();
let laptop: DaemonHome;
let server: DaemonHome;
let browser: Browser;
let page: Page;
let jobId = 0;
const rawKeys = new Set<string>();

function host(name: string, role: string, url: string, inboxes: string[]): Promise<DaemonHome> {
  return startDaemon({
    prefix: `dropwork-walk-${name}-`, rules: RULES, inboxes,
    config: `database: ${url}\nrole: ${role}\nhost_name: ${name}\nsettle_ms: 300\nnotify: false\n`,
    env: { TZ: ZONE, ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '' },
  });
}

async function api(on: DaemonHome, pathAndQuery: string): Promise<unknown> {
  const token = new URL(on.printed).searchParams.get('token') ?? '';
  const body = (await request(on.port, 'GET', pathAndQuery, { Authorization: `Bearer ${token}` })).json<unknown>();
  collectKeys(body, rawKeys);
  return body;
}

beforeAll(async () => {
  const url = team.cluster.database();
  // The server has no inbox folder: it never watches one.
  [laptop, server] = await Promise.all([host('laptop', 'collect', url, ['inbox/scans']), host('server', 'work', url, [])]);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: ZONE })).newPage();
  page.on('pageerror', (err) => { server.log += `\n[page error] ${err.message}`; });
  // Signed in to both dashboards (a cookie for each port), whichever test runs first.
  for (const on of [laptop, server]) await page.goto(on.printed);
  fs.writeFileSync(path.join(laptop.home, 'inbox/scans/receipt.txt'), 'a receipt\n');
  const store = openStore({ dbFile: '', configFile: '' }, { database: url, host_name: 'walk-test', lease_seconds: 60 });
  try {
    jobId = await until('the job run on the server', () => store.list({ limit: 10 }).find((j) => j.status === 'succeeded' && j.ran_by === 'server')?.id, 60_000);
  } finally {
    store.close();
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([laptop?.stop(), server?.stop()]);
});

describe('the walk on a team', () => {
  it('each host\'s job page and jobs list say which host queued the job and which ran it', async () => {
    for (const on of [laptop, server]) {
      const name = on === laptop ? 'laptop' : 'server';
      const list = await api(on, '/api/jobs?limit=10') as { jobs: JobView[] };
      const j = list.jobs.find((x) => x.id === jobId);
      expect(j, name).toMatchObject({ collected_by: 'laptop', ran_by: 'server', status: 'succeeded' });
      await api(on, `/api/jobs/${jobId}`);
      await api(on, '/api/rules');
      await api(on, '/api/hosts');
      await api(on, '/api/status');

      const listText = await pageText(page, `${on.base}/`, 'tr.job-row');
      await page.screenshot({ path: path.join(ARTIFACTS, `walk-team-${name}-jobs.png`), fullPage: true });
      expectTrueWords(listText, `${name}: the jobs page`, rawKeys);
      expect(listText, name).toMatch(MARK);
      expect(listText, name).toContain('receipt.txt');
      // The folder under the file's name is the laptop's: the row says so, on either host's page.
      expect(listText, name).toMatch(/^queued on laptop · run on server$/m);

      const text = await pageText(page, `${on.base}/jobs/${jobId}`, '.facts dt');
      await page.screenshot({ path: path.join(ARTIFACTS, `walk-team-${name}-job.png`), fullPage: true });
      const where = `${name}: job ${jobId}`;
      expectTrueWords(text, where, rawKeys);
      if (CLOCK.test(text)) expect(text, where).toMatch(MARK);
      expect(text, where).toMatch(/^Queued on laptop · run on server$/m);
      // What the laptop does with the original, in words, not the rule's key.
      expect(text, where).toContain('the original is in an inbox of laptop, which keeps it there');
      expect(text, where).not.toMatch(/\bafter:/);
    }
    expect(server.log + laptop.log).not.toContain('[page error]');
  }, 120_000);

  it('the work host\'s Rules page offers no file of an inbox it never watches', async () => {
    const rules = await pageText(page, `${server.base}/rules`, 'section.rule');
    expectTrueWords(rules, 'server: the rules page', rawKeys);
    if (CLOCK.test(rules)) expect(rules).toMatch(MARK);
    expect(rules).toMatch(/laptop · collects files/);
    expect(rules).toMatch(/server · runs jobs/);
    expect(rules).not.toMatch(/inbox is empty|does not exist|not the same on every host/i);
    expect(await page.getByRole('combobox', { name: /A file in the inbox of/ }).count()).toBe(0);
    expect(rules).toContain('This host only runs jobs (role: work)');
    // The laptop, which watches it, offers its file.
    const laptopRules = await pageText(page, `${laptop.base}/rules`, 'section.rule');
    expectTrueWords(laptopRules, 'laptop: the rules page', rawKeys);
    expect(await page.getByRole('combobox', { name: /A file in the inbox of scans/ }).count()).toBe(1);
  }, 60_000);

  it('jobs show and status on both hosts say the same truths in the terminal', async () => {
    let laptopStatus = '';
    for (const on of [laptop, server]) {
      const name = on === laptop ? 'laptop' : 'server';
      // Each command is its own process, most of its time spent starting node: at once.
      const [json, statusJson, show, status, jobs] = await Promise.all([
        on.dropwork('jobs', 'show', String(jobId), '--json'), on.dropwork('status', '--json'),
        on.dropwork('jobs', 'show', String(jobId)), on.dropwork('status'), on.dropwork('jobs'),
      ]);
      const j = JSON.parse(json) as JobView;
      collectKeys(j, rawKeys);
      collectKeys(JSON.parse(statusJson), rawKeys);
      const where = `${name}: jobs show ${jobId}`;
      expectTrueWords(show, where, rawKeys);
      expect(show, where).toMatch(MARK);
      if (UNFINISHED.includes(j.status)) expect(show, where).not.toMatch(/\bfinished\b/);
      expect(show, where).toMatch(/^hosts: +queued on laptop, run on server$/m);
      expect(show, where).toContain('the original is in an inbox of laptop, which keeps it there');
      expect(show, where).not.toMatch(/\bafter:/);

      expectTrueWords(status, `${name}: status`, rawKeys);
      expect(status, name).toMatch(MARK);
      expect(status, name).toMatch(/laptop\s+collects files/);
      expect(status, name).toMatch(/server\s+runs jobs/);
      expectTrueWords(jobs, `${name}: jobs`, rawKeys);
      if (on === laptop) laptopStatus = status;
    }
    expect(laptopStatus).toContain('API key: not needed here: this host only collects files');
    expect(laptopStatus).not.toMatch(/missing/);
    expect(laptop.log).not.toContain('no API key yet');
  }, 120_000);
});
