/**
 * The rules page in a browser (Debian's Chromium via playwright-core) says a program is ready,
 * and its Approve button approves it through the dashboard's API; the spending page says what programs saved,
 * and a job the program did says so in the jobs list and on its page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { programsOf } from '../../src/program/store.js';
import { ARTIFACTS } from '../web/daemon.js';
import { startDashboard, type WebHome } from '../web/helpers.js';
import { seedProgram } from './seed.js';

const CHROMIUM = '/usr/bin/chromium';
const RULES = `
- name: ledger
  watch: inbox/ledger
  output: outputs/ledger
  do: Add one row invoice_number,total to ledger.csv.
`;

let web: WebHome | undefined;
let context: BrowserContext | undefined;
afterEach(async () => {
  await context?.close();
  await web?.stop();
  web = undefined;
  context = undefined;
});

describe('the rules page', () => {
  it('shows a ready program and approves it with one click', async () => {
    web = await startDashboard(RULES);
    let example = 0;
    seedProgram(web.paths, 'print("hi")\n', 'ledger', 'suggested', (job) => [{ job: (example = job), input: 'AzureInterior.pdf', exact: true, differences: [], exitCode: 0, durationMs: 42 }]);
    context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-chromium-')), {
      executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`http://127.0.0.1:${web.port}/rules?token=${web.token}`);
    const card = page.locator('section.rule#ledger');
    await card.getByText('A program is ready').waitFor({ timeout: 20_000 });
    expect(await card.textContent()).toContain('Learned program v1');
    // Nobody approves blind: the program and its replay on each example are on the card first.
    const review = card.locator('.program-review');
    await review.getByText('Its replay on each example').waitFor({ timeout: 20_000 });
    expect(await review.locator('ul.replays li').allTextContents()).toEqual([`✓ job ${example} (AzureInterior.pdf): the same result, in 42 ms`]);
    expect(await review.locator('pre.program-source').textContent()).toBe('print("hi")\n');
    expect(await review.locator('a[href="/jobs/' + example + '"]').count()).toBe(1);
    await card.screenshot({ path: path.join(ARTIFACTS, 'program-review.png') });
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText('New files run its program, without the model').waitFor({ timeout: 20_000 });
    expect(programsOf(web.store.db, 'ledger')[0]).toMatchObject({ status: 'approved', approvedBy: 'from the dashboard' });
    // A file it did shows on the spending page as saved.
    web.store.db.prepare("UPDATE jobs SET cost_usd = 0.05 WHERE rule = 'ledger'").run();
    const job = web.store.enqueue({ rule: 'ledger', file: '/in/new.pdf', sha256: 'n', trigger: 'watch', dedupe: false })!;
    web.store.db.prepare("UPDATE jobs SET status = 'succeeded', runner = 'program', program_version = 1, started_at = ? WHERE id = ?").run(Date.now(), job.id);
    await page.goto(`http://127.0.0.1:${web.port}/spending`);
    const saved = page.locator('.card.stat.saved');
    await saved.waitFor({ timeout: 20_000 });
    expect(await saved.textContent()).toContain('1 file without the model');
    // The job says who did it, in the list and on its own page.
    await page.goto(`http://127.0.0.1:${web.port}/jobs`);
    const row = page.locator(`tr.job-row[data-id="${job.id}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('.col-cost').textContent()).toContain('program v1');
    await page.goto(`http://127.0.0.1:${web.port}/jobs/${job.id}`);
    const facts = page.locator('dl.facts');
    await facts.getByText('Learned program v1 (no model call)').waitFor({ timeout: 20_000 });
    expect(await facts.textContent()).toContain('Done by');
    expect(errors).toEqual([]);
  }, 120_000);
});
