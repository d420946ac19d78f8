/**
 * People on the dashboard in a real browser: the real daemon (`dropwork start`) serving it,
 * links made with the real `dropwork users` command, Debian's Chromium driven by playwright-core.
 * Screenshots land in .test-artifacts/web/ to be looked at.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, startDaemon, type DaemonHome } from './daemon.js';

const RULES = `
- name: receipts
  watch: inbox/receipts
  output: outputs/receipts
  approve: always
  actions:
    - copy: "."
`;

let home: string;
let port: number;
let base: string;
let daemon: DaemonHome | undefined;
let browser: Browser;
const secrets: string[] = [];

const dropwork = (...args: string[]): Promise<string> => (daemon as DaemonHome).dropwork(...args);

/** `dropwork users add|link`: the link it prints. */
async function link(...args: string[]): Promise<string> {
  const out = await dropwork('users', ...args);
  const found = /^ {2}(http:\/\/\S+)$/m.exec(out)?.[1];
  if (!found) throw new Error(`no link in:\n${out}`);
  secrets.push(new URL(found).searchParams.get('token') ?? '');
  return found;
}

async function signedIn(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => { if (daemon) daemon.log += `\n[page error] ${err.message}`; });
  await page.goto(url);
  return page;
}

async function heldJob(page: Page, name: string): Promise<number> {
  fs.writeFileSync(path.join(home, 'inbox/receipts', name), `${name}\n`);
  await page.goto(`${base}/`);
  const row = page.locator('tr.job-row', { hasText: name });
  await row.locator('.pill.held').waitFor({ timeout: 20_000 });
  return Number(await row.getAttribute('data-id'));
}

beforeAll(async () => {
  daemon = await startDaemon({ prefix: 'dropwork-people-', rules: RULES, inboxes: ['inbox/receipts'], config: 'settle_ms: 300\nnotify: false\n' });
  ({ home, port, base } = daemon);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

describe('people on the dashboard, in a browser', () => {
  it('signs in through a link, approves a held job and sees their name in its timeline; a new link ends the old one; removal ends the session', async () => {
    const first = await link('add', 'ana', '--role', 'approver');
    expect(first).toMatch(new RegExp(`^${base}/\\?token=`));
    const page = await signedIn(first);
    expect(page.url()).toBe(`${base}/`);
    const cookie = (await page.context().cookies(base)).find((c) => c.name === `dropwork_${port}`);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.locator('#who:not([hidden])').waitFor();
    expect(await page.locator('#who').textContent()).toBe('ana · approver');

    const id = await heldJob(page, 'taxi.txt');
    await page.goto(`${base}/jobs/${id}`);
    await page.getByRole('button', { name: 'Approve and publish' }).click();
    await page.locator('.title-row .pill.succeeded').waitFor();
    const step = page.locator('li.tl[data-by="ana"]');
    await step.waitFor();
    expect(await step.textContent()).toContain('approved by ana from the dashboard');
    expect(fs.readFileSync(path.join(home, 'outputs/receipts/taxi.txt'), 'utf8')).toBe('taxi.txt\n');
    await page.screenshot({ path: path.join(ARTIFACTS, 'people-approved.png'), fullPage: true });
    // The secret is in no address the browser keeps.
    expect(await page.evaluate('location.href')).not.toContain('token');

    const second = await link('link', 'ana');
    const stale = await page.reload();
    expect(stale?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('This link or key no longer works');
    expect((await page.goto(first))?.status()).toBe(401);
    await page.goto(second);
    await page.locator('#who:not([hidden])').waitFor();
    expect(await page.locator('#who').textContent()).toBe('ana · approver');

    await dropwork('users', 'remove', 'ana');
    expect((await page.reload())?.status()).toBe(401);
    const kept = (await page.context().cookies(base)).find((c) => c.name === `dropwork_${port}`);
    expect(kept?.value).toBe(new URL(second).searchParams.get('token'));
    expect((await fetch(`${base}/api/jobs`, { headers: { Cookie: `${kept?.name ?? ''}=${kept?.value ?? ''}` } })).status).toBe(401);
    await page.context().close();
  });

  it('a viewer sees a held job but is offered no decision, and the server refuses one', async () => {
    const page = await signedIn(await link('add', 'vera', '--role', 'viewer'));
    await page.locator('#who:not([hidden])').waitFor();
    expect(await page.locator('#who').textContent()).toBe('vera · viewer');
    const id = await heldJob(page, 'bus.txt');
    await page.goto(`${base}/jobs/${id}`);
    await page.locator('section.approval').waitFor();
    expect(await page.getByRole('button', { name: 'Approve and publish' }).isVisible()).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'people-viewer.png'), fullPage: true });
    const status = await page.evaluate(`fetch('/api/jobs/${id}/approve', { method: 'POST', headers: { 'X-Dropwork': '1', 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.status)`);
    expect(status).toBe(403);
    expect(fs.existsSync(path.join(home, 'outputs/receipts/bus.txt'))).toBe(false);
    await page.context().close();
  });

  it('a foreign page cannot sign the browser in as someone else (login CSRF): the link shows our page, and only its button signs in', async () => {
    const bea = await link('add', 'bea', '--role', 'approver');
    const mallory = await link('add', 'mallory', '--role', 'approver');
    // Another site (localhost is another site than 127.0.0.1) sends the tab to mallory's link
    // at once, and also frames it.
    const foreign = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><iframe src="${mallory}"></iframe><script>setTimeout(() => { location.href = ${JSON.stringify(mallory)}; }, 300);</script>`);
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    const page = await signedIn(bea);
    try {
      await page.locator('#who:not([hidden])').waitFor();
      await page.goto(`http://localhost:${(foreign.address() as AddressInfo).port}/`);
      await page.waitForURL((u) => u.host === new URL(base).host, { timeout: 10_000 });
      await page.getByRole('button', { name: 'Sign in as mallory' }).waitFor();
      expect(await page.textContent('body')).toContain('Sign in as mallory (approver)?');
      await page.screenshot({ path: path.join(ARTIFACTS, 'people-login-csrf.png'), fullPage: true });
      const cookie = (await page.context().cookies(base)).find((c) => c.name === `dropwork_${port}`);
      expect(cookie?.value).toBe(new URL(bea).searchParams.get('token'));
      expect(((await (await page.context().request.get(`${base}/api/me`)).json()) as { name: string }).name).toBe('bea');
      // The person meant it: one click on our page, and the browser is mallory's.
      await page.getByRole('button', { name: 'Sign in as mallory' }).click();
      await page.locator('#who:not([hidden])').waitFor();
      expect(await page.locator('#who').textContent()).toBe('mallory · approver');
      expect(await page.evaluate('location.href')).not.toContain('token');
    } finally {
      await page.context().close();
      foreign.close();
    }
  });

  it('no secret reached the daemon\'s log', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const log = (daemon as DaemonHome).log;
    for (const s of secrets) expect(log).not.toContain(s);
    expect(log).not.toContain('[page error]');
  });
});
