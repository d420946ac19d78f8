import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenFile, uiToken } from '../../src/web/token.js';
import { PLAIN_AND_HELD } from '../approve/helpers.js';
import { dashboardPerTest, request, type WebHome } from './helpers.js';

const openDashboard = dashboardPerTest(PLAIN_AND_HELD);

describe('the token', () => {
  it('is made once per install, private to this user, and reused', async () => {
    const web = await openDashboard();
    const file = tokenFile(web.paths);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(web.token.length).toBeGreaterThanOrEqual(32);
    expect(uiToken(web.paths)).toBe(web.token);
  });

  it('is needed by every page, asset and API call; a wrong one is no better than none', async () => {
    const web = await openDashboard();
    for (const p of ['/', '/jobs/1', '/rules', '/assets/app.js', '/api/jobs', '/api/status', '/api/events', '/api/files?path=/etc/hostname']) {
      const r = await request(web.port, 'GET', p);
      expect(r.status, p).toBe(401);
    }
    const wrong = 'x'.repeat(web.token.length);
    expect((await request(web.port, 'GET', '/api/jobs', { Authorization: `Bearer ${wrong}` })).status).toBe(401);
    expect((await request(web.port, 'GET', '/api/jobs', { Cookie: `dropwork_${web.port}=${wrong}` })).status).toBe(401);
    expect((await request(web.port, 'GET', `/?token=${wrong}`)).status).toBe(401);
    const page = await request(web.port, 'GET', '/');
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('dropwork ui');
    const api = await request(web.port, 'GET', '/api/jobs');
    expect(api.json().error).toContain('dropwork ui --print-url');
  });

  it('in a link becomes an HttpOnly SameSite=Strict cookie, and the address loses the token', async () => {
    const web = await openDashboard();
    const r = await request(web.port, 'GET', `/jobs/3?token=${web.token}&x=1`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/jobs/3?x=1');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain(`dropwork_${web.port}=${web.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await request(web.port, 'GET', '/jobs/3?x=1', { Cookie: cookie.split(';')[0] as string });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('does not answer under another host name (DNS rebinding)', async () => {
    const web = await openDashboard();
    const r = await request(web.port, 'GET', '/api/jobs', { ...web.bearer, Host: `evil.example:${web.port}` });
    expect(r.status).toBe(421);
    expect((await request(web.port, 'GET', '/api/jobs', { ...web.bearer, Host: `localhost:${web.port}` })).status).toBe(200);
  });
});

describe('changes from another site', () => {
  it('are refused with 403, and the job stays as it was', async () => {
    const web = await openDashboard();
    const job = await web.run('held', 'inbox/held/a.txt', 'a');
    expect(job.status).toBe('waiting');
    const cookie = { Cookie: web.page.Cookie as string };
    const attempts: Record<string, string>[] = [
      { ...cookie, Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' },
      { ...cookie, Origin: 'http://evil.example', 'X-Dropwork': '1' },
      // Another port of 127.0.0.1 is the same *site*: SameSite cookies go with it, Origin gives it away.
      { ...cookie, Origin: `http://127.0.0.1:${web.port + 1}`, 'Sec-Fetch-Site': 'same-site' },
      { ...cookie, 'Sec-Fetch-Site': 'same-site', 'X-Dropwork': '1' },
      { ...cookie, Origin: 'null' },
      // No browser signal at all: the custom header is what a form cannot add.
      { ...cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    ];
    for (const headers of attempts) {
      const r = await request(web.port, 'POST', `/api/jobs/${job.id}/approve`, headers, '{}');
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.json().error).toMatch(/refused/);
    }
    expect(web.store.get(job.id)?.status).toBe('waiting');
    expect(fs.existsSync(path.join(web.paths.home, 'outputs/held/a.txt'))).toBe(false);

    const ok = await request(web.port, 'POST', `/api/jobs/${job.id}/approve`, web.page, '{}');
    expect(ok.status).toBe(200);
    expect(fs.existsSync(path.join(web.paths.home, 'outputs/held/a.txt'))).toBe(true);
  });

  it('a script with the bearer token needs no browser headers', async () => {
    const web = await openDashboard();
    const job = await web.run('held', 'inbox/held/b.txt', 'b');
    const r = await request(web.port, 'POST', `/api/jobs/${job.id}/deny`, web.bearer, '{"reason":"scripted"}');
    expect(r.status).toBe(200);
    expect(web.store.get(job.id)?.reason).toBe('denied: scripted');
  });
});

describe('files', () => {
  const get = (w: WebHome, file: string, extra = ''): Promise<ReturnType<typeof request> extends Promise<infer R> ? R : never> =>
    request(w.port, 'GET', `/api/files?path=${encodeURIComponent(file)}${extra}`, w.bearer);

  it('serves outputs and inbox files, never as a page of the dashboard', async () => {
    const web = await openDashboard();
    const job = await web.run('plain', 'inbox/plain/notes.txt', 'hello');
    const out = JSON.parse(web.store.get(job.id)?.outputs ?? '[]')[0] as string;
    const r = await get(web, out);
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello');
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.headers['content-security-policy']).toContain('sandbox');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(web, out, '&download=1')).headers['content-disposition']).toMatch(/^attachment/);
    expect((await get(web, path.join(web.paths.home, 'inbox/plain/notes.txt'))).status).toBe(200);
    // Someone's HTML never runs with the dashboard's cookie: it downloads, sandboxed.
    const html = path.join(web.paths.home, 'outputs/plain/page.html');
    fs.writeFileSync(html, '<script>fetch("/api/jobs")</script>');
    const h = await get(web, html);
    expect(h.headers['content-type']).toBe('application/octet-stream');
    expect(h.headers['content-disposition']).toMatch(/^attachment/);
  });

  it('refuses a path with "..", anything outside the outputs and inboxes, and links that lead out', async () => {
    const web = await openDashboard();
    await web.run('plain', 'inbox/plain/notes.txt', 'hello');
    const traversal = await get(web, path.join(web.paths.home, 'outputs/plain') + '/../../ui-token');
    expect(traversal.status).toBe(403);
    expect(traversal.body).not.toContain(web.token);
    expect(traversal.json().error).toContain('..');
    expect((await request(web.port, 'GET', `/api/files?path=${web.paths.home}/outputs/plain/%2e%2e/%2e%2e/ui-token`, web.bearer)).status).toBe(403);
    expect((await get(web, '/etc/passwd')).status).toBe(403);
    // dropwork's own files are never served (and no rule may watch the home: tests/rules/own-folders.test.ts).
    for (const own of [tokenFile(web.paths), web.paths.dbFile, path.join(web.paths.rulesDir, 'rules.yaml')]) {
      const r = await get(web, own);
      expect(r.status, own).toBe(403);
    }
    fs.symlinkSync('/etc/passwd', path.join(web.paths.home, 'inbox/plain/passwd.txt'));
    expect((await get(web, path.join(web.paths.home, 'inbox/plain/passwd.txt'))).status).toBe(403);
    expect((await get(web, path.join(web.paths.home, 'outputs/plain/missing.txt'))).status).toBe(404);
    expect((await get(web, 'relative/path.txt')).status).toBe(400);
  });

  it('serves a held job\'s staged output by number only, from its own folder', async () => {
    const web = await openDashboard();
    const held = await web.run('held', 'inbox/held/draft.txt', 'draft');
    const r = await request(web.port, 'GET', `/api/jobs/${held.id}/staged/0`, web.bearer);
    expect(r.status).toBe(200);
    expect(r.body).toBe('draft');
    expect((await request(web.port, 'GET', `/api/jobs/${held.id}/staged/1`, web.bearer)).status).toBe(404);
    expect((await request(web.port, 'GET', `/api/jobs/${held.id}/staged/..%2f..%2fui-token`, web.bearer)).status).toBe(404);
    const plain = await web.run('plain', 'inbox/plain/p.txt', 'p');
    expect((await request(web.port, 'GET', `/api/jobs/${plain.id}/staged/0`, web.bearer)).status).toBe(409);
  });

  it('the dry run only reads files listed in the rule\'s own inbox', async () => {
    const web = await openDashboard();
    fs.mkdirSync(path.join(web.paths.home, 'inbox/plain'), { recursive: true });
    for (const file of ['/etc/passwd', path.join(web.paths.home, 'inbox/plain/../../rules/rules.yaml'), path.join(web.paths.home, 'inbox/held/x.txt')]) {
      const r = await request(web.port, 'POST', '/api/rules/plain/test', web.page, JSON.stringify({ file }));
      expect(r.status, file).toBe(403);
    }
  });
});

describe('secrets', () => {
  it('an API key that reached the history never reaches a page', async () => {
    const web = await openDashboard();
    const job = await web.run('plain', 'inbox/plain/k.txt', 'k');
    const key = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';
    web.store.log(job.id, 'tool_result', `env says ANTHROPIC_API_KEY=${key}`, { output: `key ${key}` });
    const r = await request(web.port, 'GET', `/api/jobs/${job.id}`, web.bearer);
    expect(r.status).toBe(200);
    expect(r.body).not.toContain(key);
    expect(r.body).toContain('redacted');
    expect(r.json<{ log: { kind: string }[] }>().log.some((e) => e.kind === 'tool_result')).toBe(true);
  });
});
