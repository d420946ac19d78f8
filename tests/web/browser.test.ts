/**
 * The dashboard as a person uses it: the real daemon (`dropwork start`) serving it, the URL that
 * `dropwork ui --print-url` prints, Debian's Chromium driven by playwright-core, real files
 * dropped into real inboxes. Screenshots land in .test-artifacts/web/ to be looked at.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/queue/store.js';
import { trashed } from '../approve/helpers.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, startDaemon, type DaemonHome } from './daemon.js';

const RULES = `
- name: notes
  watch: inbox/notes
  output: outputs/notes
  actions:
    - copy: "."
- name: receipts
  watch: inbox/receipts
  output: outputs/receipts
  approve: always
  after: trash
  actions:
    - move: "."
`;

let root: string;
let home: string;
let port: number;
let base: string;
let printed: string;
let daemon: DaemonHome | undefined;
let context: BrowserContext;
let page: Page;

function drop(rel: string, content: string): string {
  const file = path.join(home, rel);
  fs.writeFileSync(file, content);
  return file;
}

function withStore<T>(fn: (s: Store) => T): T {
  const store = new Store(path.join(home, 'dropwork.db'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** The jobs page's row for a file, once it shows `status` (a pill class). */
async function rowFor(name: string, status: string): Promise<number> {
  const row = page.locator('tr.job-row', { hasText: name });
  await row.locator(`.pill.${status}`).waitFor({ timeout: 20_000 });
  return Number(await row.getAttribute('data-id'));
}

beforeAll(async () => {
  const d = await startDaemon({ prefix: 'dropwork-browser-', rules: RULES, inboxes: ['inbox/notes', 'inbox/receipts'], config: 'settle_ms: 300\nnotify: false\ndaily_budget_usd: 1\n' });
  daemon = d;
  ({ root, home, port, base, printed } = d);
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: CHROMIUM_ARGS,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => { d.log += `\n[page error] ${err.message}`; });
});

afterAll(async () => {
  await context?.close();
  await daemon?.stop();
});

describe('the dashboard in a browser', () => {
  it('opens from the printed URL; a dropped file\'s job appears and finishes live; its transcript shows', async () => {
    expect(printed).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{32,}$`));
    await page.goto(printed);
    expect(page.url()).toBe(`${base}/`);
    const cookie = (await context.cookies(base)).find((c) => c.name === `dropwork_${port}`);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.locator('#live.on').waitFor();
    await page.evaluate('window.__sameDocument = true');

    drop('inbox/notes/meeting 2024-05-02.txt', 'Agreed: ship on Friday.\n');
    const id = await rowFor('meeting 2024-05-02.txt', 'succeeded');
    expect(await page.evaluate('window.__sameDocument')).toBe(true); // no reload: it came live

    // The agent's transcript as issue 3 stores it, written from another process.
    withStore((s) => {
      s.log(id, 'user', 'Summarise these meeting notes', { text: 'Summarise these meeting notes' });
      s.log(id, 'assistant', 'I will read the notes first.');
      s.log(id, 'tool_call', 'read_file', { id: 'toolu_1', name: 'read_file', input: { path: 'input/meeting 2024-05-02.txt' } });
      s.log(id, 'tool_result', 'Agreed: ship on Friday.', { tool_use_id: 'toolu_1', output: 'Agreed: ship on Friday.\n', is_error: false });
      s.log(id, 'assistant', 'One decision: ship on Friday. Writing the summary.');
      s.log(id, 'usage', 'turn 2', { input_tokens: 2480, output_tokens: 312, cost_usd: 0.0421 });
      s.addUsage(id, { input_tokens: 2480, output_tokens: 312, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 0.0421 });
    });
    await page.locator(`tr.job-row[data-id="${id}"] td.file a`).click();
    await page.waitForURL(`${base}/jobs/${id}`);
    const call = page.locator('.tool.call', { hasText: 'read_file' });
    await call.waitFor();
    expect(await call.textContent()).toContain('"path": "input/meeting 2024-05-02.txt"');
    expect(await page.locator('.tool.result').textContent()).toContain('Agreed: ship on Friday.');
    expect(await page.locator('.msg.assistant').first().textContent()).toContain('I will read the notes first.');
    expect(await page.locator('dl.facts').textContent()).toContain('$0.0421');
    expect(await page.locator('.out-name').textContent()).toBe('meeting 2024-05-02.txt');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'job.png'), fullPage: true });
  });

  it('approving a held job publishes its output and applies its after:', async () => {
    await page.goto(`${base}/`);
    const original = drop('inbox/receipts/taxi.txt', 'taxi 18.00 EUR\n');
    const id = await rowFor('taxi.txt', 'held');
    expect(fs.existsSync(path.join(home, 'outputs/receipts/taxi.txt'))).toBe(false);
    await page.locator(`tr.job-row[data-id="${id}"] td.file a`).click();
    const approval = page.locator('section.approval');
    await approval.waitFor();
    expect(await approval.textContent()).toContain(`will move the original ${original} to the trash`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'job-held.png'), fullPage: true });
    await page.getByRole('button', { name: 'Approve and publish' }).click();
    await page.locator('.title-row .pill.succeeded').waitFor();
    await approval.waitFor({ state: 'detached' });
    const published = path.join(home, 'outputs/receipts/taxi.txt');
    expect(fs.readFileSync(published, 'utf8')).toBe('taxi 18.00 EUR\n');
    expect(fs.existsSync(original)).toBe(false);
    expect(trashed(root)).toContain('taxi.txt');
    // The output's link serves the published file.
    expect(await page.evaluate("fetch(document.querySelector('.out-name').href).then((r) => r.text())")).toBe('taxi 18.00 EUR\n');
  });

  it('reverting an approved job from its page: a preview first, then its output goes and the original comes back', async () => {
    await page.goto(`${base}/`);
    const original = drop('inbox/receipts/bus.txt', 'bus 2.40 EUR\n');
    const id = await rowFor('bus.txt', 'held');
    await page.goto(`${base}/jobs/${id}`);
    await page.getByRole('button', { name: 'Approve and publish' }).click();
    await page.locator('.title-row .pill.succeeded').waitFor();
    const published = path.join(home, 'outputs/receipts/bus.txt');
    expect(fs.existsSync(published)).toBe(true);
    expect(fs.existsSync(original)).toBe(false);
    await page.getByRole('button', { name: 'Revert…' }).click();
    const preview = page.locator('section[aria-label="Revert"]');
    await preview.waitFor();
    const text = await preview.textContent();
    expect(text).toContain(`remove ${published}`);
    expect(text).toContain(`to ${original}`);
    // The preview changed nothing.
    expect(fs.existsSync(published)).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'job-revert.png'), fullPage: true });
    await preview.getByRole('button', { name: 'Revert', exact: true }).click();
    await page.locator('.title-row .pill.reverted').waitFor();
    expect(fs.existsSync(published)).toBe(false);
    expect(fs.readFileSync(original, 'utf8')).toBe('bus 2.40 EUR\n');
    expect(await page.locator('.page-head').textContent()).toContain('Reverted from the dashboard');
  });

  it('denying a held job discards its output and keeps the reason', async () => {
    await page.goto(`${base}/`);
    const original = drop('inbox/receipts/gift.txt', 'gift 30.00\n');
    const id = await rowFor('gift.txt', 'held');
    await page.goto(`${base}/jobs/${id}`);
    await page.getByRole('button', { name: 'Deny…' }).click();
    await page.getByLabel('Reason for denying').fill('personal, not business');
    await page.getByRole('button', { name: 'Deny', exact: true }).click();
    await page.locator('.title-row .pill.cancelled').waitFor();
    expect(await page.locator('.reason-box').textContent()).toBe('denied: personal, not business');
    expect(fs.existsSync(path.join(home, 'outputs/receipts/gift.txt'))).toBe(false);
    expect(fs.readFileSync(original, 'utf8')).toBe('gift 30.00\n');
    expect(fs.existsSync(path.join(home, 'jobs', String(id)))).toBe(false);
  });

  it('refuses a request without the token, a cross-site POST and a download path with ".."', async () => {
    const anonymous = await fetch(`${base}/api/jobs`);
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(401);

    drop('inbox/receipts/phishing.txt', 'pay me\n');
    await page.goto(`${base}/`);
    const id = await rowFor('phishing.txt', 'held');
    // A page on another port of this machine: the same *site*, so the browser even sends the
    // SameSite=Strict cookie. The Origin / Sec-Fetch-Site check is what stops it.
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<form id="f" method="POST" enctype="text/plain" action="${base}/api/jobs/${id}/approve"><input name="x" value="y"></form><script>document.getElementById('f').submit()</script>`);
    });
    const evilPort = await new Promise<number>((resolve) => evil.listen(0, '127.0.0.1', () => resolve((evil.address() as { port: number }).port)));
    try {
      const answer = page.waitForResponse((r) => r.url().endsWith(`/api/jobs/${id}/approve`));
      await page.goto(`http://127.0.0.1:${evilPort}/`);
      const response = await answer;
      expect(response.status()).toBe(403);
      expect(response.request().headers().cookie ?? (await response.request().allHeaders()).cookie).toContain(`dropwork_${port}=`);
    } finally {
      evil.close();
    }
    const still = withStore((s) => s.get(id));
    expect(still?.status).toBe('waiting');
    expect(fs.existsSync(path.join(home, 'outputs/receipts/phishing.txt'))).toBe(false);

    const token = fs.readFileSync(path.join(home, 'ui-token'), 'utf8').trim();
    const sneaky = await page.goto(`${base}/api/files?path=${encodeURIComponent(path.join(home, 'outputs/receipts') + '/../../ui-token')}`);
    expect(sneaky?.status()).toBe(403);
    expect(await sneaky?.text()).not.toContain(token);
  });

  it('the jobs page, with jobs in every state, for a person to look at', async () => {
    await page.goto(`${base}/`);
    await page.locator('tr.job-row').nth(3).waitFor();
    await page.locator('.banner.held').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'jobs.png'), fullPage: true });
    await page.goto(`${base}/rules`);
    await page.locator('section.rule').nth(1).waitFor();
    // The dry run, on a file chosen from the rule's inbox.
    const notes = page.locator('section.rule#notes');
    await notes.locator('.dry-run button:not([disabled])').waitFor();
    await notes.getByRole('button', { name: 'Test' }).click();
    await notes.locator('.verdict.yes').waitFor();
    expect(await notes.locator('.dry-result').textContent()).toContain(`would write ${path.join(home, 'outputs/notes/meeting 2024-05-02.txt')}`);
    // A rule file saved with a mistake shows up live, located to its line and column.
    fs.writeFileSync(path.join(home, 'rules', 'invoices.yaml'), 'name: invoices\nwatch: inbox/invoices\nactions:\n  - copy: "."\non_conflict: replace\n');
    const problem = page.locator('section.problems li');
    await problem.waitFor({ timeout: 10_000 });
    expect(await problem.locator('.where').textContent()).toMatch(/^invoices\.yaml:5:\d+on_conflict$/);
    expect(await problem.locator('.excerpt').textContent()).toContain('on_conflict: replace');
    await page.screenshot({ path: path.join(ARTIFACTS, 'rules.png'), fullPage: true });
    await page.goto(`${base}/spending`);
    await page.locator('svg.chart').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'spending.png'), fullPage: true });
    expect((daemon as DaemonHome).log).not.toContain('[page error]');
  });
});
