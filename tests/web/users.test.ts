/**
 * The dashboard with people: real HTTP against the real Dashboard on a real home. Each person
 * signs in with their own secret; their role decides what they may change, and what they did is
 * in the job's history under their name.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults } from '../../src/config.js';
import { Events } from '../../src/events.js';
import { createLogger } from '../../src/log.js';
import type { JobRow } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import type { Role } from '../../src/users/roles.js';
import { hashSecret, newSecret } from '../../src/users/secret.js';
import { Dashboard } from '../../src/web/server.js';
import { uiToken } from '../../src/web/token.js';
import { makeHome, PLAIN_AND_HELD } from '../approve/helpers.js';
import { dashboardPerTest, request, type Reply, type WebHome } from './helpers.js';

const openDashboard = dashboardPerTest(PLAIN_AND_HELD);

/** Adds a person and gives the headers of their signed-in page making a change. */
function person(w: WebHome, name: string, role: Role): { secret: string; page: Record<string, string> } {
  const secret = newSecret();
  w.store.users.add(name, role, hashSecret(secret));
  return { secret, page: { ...w.page, Cookie: `dropwork_${w.port}=${secret}` } };
}

const post = (w: WebHome, headers: Record<string, string>, p: string, body: unknown = {}): Promise<Reply> => request(w.port, 'POST', p, headers, JSON.stringify(body));
type Step = { kind: string; message: string; data: { by?: string } | null };
const steps = async (w: WebHome, headers: Record<string, string>, id: number): Promise<Step[]> =>
  (await request(w.port, 'GET', `/api/jobs/${id}`, headers)).json<{ log: Step[] }>().log;

describe('people on the dashboard', () => {
  it('a sign-in link sets an HttpOnly, SameSite=Strict cookie for that person and drops the secret from the address', async () => {
    const web = await openDashboard();
    const ana = person(web, 'ana', 'approver');
    const r = await request(web.port, 'GET', `/jobs?token=${ana.secret}&status=failed`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/jobs?status=failed');
    const cookie = r.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toBe(`dropwork_${web.port}=${ana.secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=31536000`);
    const me = await request(web.port, 'GET', '/api/me', { Cookie: `dropwork_${web.port}=${ana.secret}` });
    expect(me.json()).toEqual({ name: 'ana', role: 'approver', via: 'person' });
    expect(me.body).not.toContain(ana.secret);
    // The install's token still opens it, naming nobody.
    expect((await request(web.port, 'GET', '/api/me', web.bearer)).json()).toEqual({ name: null, role: 'admin', via: 'token' });
    // A person's secret works as a bearer token for scripts too.
    expect((await request(web.port, 'GET', '/api/me', { Authorization: `Bearer ${ana.secret}` })).json()).toMatchObject({ name: 'ana' });
  });

  it('a viewer reads everything and is refused every change with 403', async () => {
    const web = await openDashboard();
    const vera = person(web, 'vera', 'viewer');
    const held = await web.run('held', 'inbox/held/h.txt', 'h');
    const done = await web.run('plain', 'inbox/plain/p.txt', 'p');
    for (const p of ['/api/jobs', `/api/jobs/${held.id}`, '/api/rules', '/api/spending', '/api/status']) {
      expect((await request(web.port, 'GET', p, vera.page)).status, p).toBe(200);
    }
    const refused = [
      [`/api/jobs/${held.id}/approve`, {}], [`/api/jobs/${held.id}/deny`, {}], [`/api/jobs/${done.id}/retry`, {}],
      [`/api/jobs/${held.id}/cancel`, {}], [`/api/jobs/${done.id}/revert`, {}], [`/api/jobs/${done.id}/revert`, { dry_run: true }],
      ['/api/rules/plain/revert', { since: 'today' }], ['/api/rules/plain/program', { decision: 'forget' }],
      // A test may ask the model (`if:`), which costs money: an approver's, like any spending.
      ['/api/rules/plain/test', { file: path.join(web.paths.home, 'inbox/plain/p.txt') }],
    ] as const;
    for (const [p, body] of refused) {
      const r = await post(web, vera.page, p, body);
      expect(r.status, p).toBe(403);
      expect(r.json().error).toBe('vera is a viewer; this needs an approver (an admin can change that: dropwork users role vera approver)');
    }
    expect(web.store.get(held.id)?.status).toBe('waiting');
    expect(web.store.get(done.id)?.status).toBe('succeeded');
    // An approver may test a file against a rule.
    const abe = person(web, 'abe', 'approver');
    expect((await post(web, abe.page, '/api/rules/plain/test', { file: path.join(web.paths.home, 'inbox/plain/p.txt') })).status).toBe(200);
  });

  it('a sign-in link another site opened signs nobody in by itself: one click on our page first (no login CSRF)', async () => {
    const web = await openDashboard();
    const ana = person(web, 'ana', 'approver');
    const mallory = person(web, 'mallory', 'approver');
    const anaCookie = { Cookie: `dropwork_${web.port}=${ana.secret}` };
    const me = async (cookie: Record<string, string>) => (await request(web.port, 'GET', '/api/me', cookie)).json<{ name: string }>().name;
    // What Chromium and Firefox send when a foreign page navigates the tab (a redirect, a link,
    // a form), or frames it; and what an older browser sends (a Referer only).
    const foreign: Record<string, string>[] = [
      { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document', 'Sec-Fetch-User': '?1' },
      { 'Sec-Fetch-Site': 'same-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' },
      { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'iframe' },
      { Referer: 'http://evil.example/login-csrf.html' },
    ];
    for (const headers of foreign) {
      const r = await request(web.port, 'GET', `/jobs?token=${mallory.secret}`, { ...anaCookie, ...headers });
      expect(r.status, JSON.stringify(headers)).toBe(200);
      expect(r.headers['set-cookie'], JSON.stringify(headers)).toBeUndefined();
      expect(r.body).toContain('Sign in as <strong>mallory (approver)</strong>?');
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
    expect(await me(anaCookie)).toBe('ana');
    // The page's button, posted from another site, is refused; from our page it signs in.
    const form = `token=${mallory.secret}&then=%2Fjobs`;
    const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded', ...anaCookie };
    const elsewhere: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.example' }, { Origin: 'http://evil.example' }, {}];
    for (const from of elsewhere) {
      const r = await request(web.port, 'POST', '/signin', { ...formHeaders, ...from }, form);
      expect(r.status, JSON.stringify(from)).toBe(403);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    const clicked = await request(web.port, 'POST', '/signin', { ...formHeaders, 'Sec-Fetch-Site': 'same-origin', Origin: `http://127.0.0.1:${web.port}` }, form);
    expect(clicked.status).toBe(303);
    expect(clicked.headers.location).toBe('/jobs');
    expect(clicked.headers['set-cookie']?.[0]).toContain(`dropwork_${web.port}=${mallory.secret};`);
    // A link the person opened themselves (address bar, mail app, `dropwork ui`) signs in at once.
    const direct = await request(web.port, 'GET', `/?token=${ana.secret}`, { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document', 'Sec-Fetch-User': '?1' });
    expect(direct.status).toBe(303);
    expect(direct.headers['set-cookie']?.[0]).toContain(`dropwork_${web.port}=${ana.secret};`);
  });

  it('an approver approves, denies, retries, cancels and reverts, each step under their name', async () => {
    const web = await openDashboard();
    const abe = person(web, 'abe', 'approver');
    const one = await web.run('held', 'inbox/held/one.txt', 'one');
    const two = await web.run('held', 'inbox/held/two.txt', 'two');
    expect((await post(web, abe.page, `/api/jobs/${one.id}/approve`)).status).toBe(200);
    expect(await steps(web, abe.page, one.id)).toContainEqual({ id: expect.any(Number), at: expect.any(String), kind: 'approved', message: 'approved by abe from the dashboard', data: { by: 'abe' } });
    expect((await post(web, abe.page, `/api/jobs/${two.id}/deny`, { reason: 'not this one' })).status).toBe(200);
    expect(await steps(web, abe.page, two.id)).toContainEqual(expect.objectContaining({ kind: 'denied', message: 'denied: not this one (by abe from the dashboard); its staged outputs were discarded', data: { by: 'abe' } }));

    const queued = web.store.enqueue({ rule: 'plain', file: path.join(web.paths.home, 'inbox/plain/q.txt'), sha256: null, trigger: 'manual', dedupe: false }) as JobRow;
    expect((await post(web, abe.page, `/api/jobs/${queued.id}/cancel`)).status).toBe(200);
    expect(web.store.get(queued.id)?.reason).toBe('cancelled by abe from the dashboard');
    expect((await post(web, abe.page, `/api/jobs/${queued.id}/retry`)).status).toBe(200);
    expect((await steps(web, abe.page, queued.id)).filter((s) => s.data?.by === 'abe').map((s) => s.message)).toEqual(['cancelled by abe from the dashboard', 'queued again by abe from the dashboard']);

    expect((await post(web, abe.page, `/api/jobs/${one.id}/revert`)).status).toBe(200);
    const reverted = (await request(web.port, 'GET', `/api/jobs/${one.id}`, abe.page)).json<{ job: { status: string; reverted: { by: string } }; log: Step[] }>();
    expect(reverted.job).toMatchObject({ status: 'reverted', reverted: { by: 'by abe from the dashboard' } });
    expect(reverted.log).toContainEqual(expect.objectContaining({ kind: 'reverted', message: 'reverted by abe from the dashboard', data: { by: 'abe' } }));
    // Nothing the API answered holds the secret.
    const all = await Promise.all(['/api/jobs', `/api/jobs/${one.id}`, '/api/me', '/api/status'].map((p) => request(web.port, 'GET', p, abe.page)));
    for (const r of all) expect(r.body).not.toContain(abe.secret);
  });

  it('an admin may do what an approver does; the install token acts as before, under no name', async () => {
    const web = await openDashboard();
    const ada = person(web, 'ada', 'admin');
    const held = await web.run('held', 'inbox/held/a.txt', 'a');
    expect((await post(web, ada.page, `/api/jobs/${held.id}/approve`)).status).toBe(200);
    expect(await steps(web, ada.page, held.id)).toContainEqual(expect.objectContaining({ kind: 'approved', message: 'approved by ada from the dashboard', data: { by: 'ada' } }));
    const other = await web.run('held', 'inbox/held/b.txt', 'b');
    expect((await post(web, web.page, `/api/jobs/${other.id}/approve`)).status).toBe(200);
    expect(await steps(web, web.page, other.id)).toContainEqual(expect.objectContaining({ kind: 'approved', message: 'approved from the dashboard', data: null }));
  });

  it('a new link ends the old one, and removing a person ends their session, at the next request', async () => {
    const web = await openDashboard();
    const ana = person(web, 'ana', 'approver');
    const cookie = { Cookie: `dropwork_${web.port}=${ana.secret}` };
    expect((await request(web.port, 'GET', '/api/jobs', cookie)).status).toBe(200);
    const fresh = newSecret();
    web.store.users.relink('ana', hashSecret(fresh));
    expect((await request(web.port, 'GET', '/api/jobs', cookie)).status).toBe(401);
    const page = await request(web.port, 'GET', '/', cookie);
    expect(page.status).toBe(401);
    expect(page.body).toContain('This link or key no longer works');
    expect((await request(web.port, 'GET', `/?token=${ana.secret}`)).status).toBe(401);
    // An old link is refused even in a browser still signed in as someone: it does not fall back.
    expect((await request(web.port, 'GET', `/?token=${ana.secret}`, { Cookie: `dropwork_${web.port}=${web.token}` })).status).toBe(401);
    const now = { Cookie: `dropwork_${web.port}=${fresh}` };
    expect((await request(web.port, 'GET', '/api/jobs', now)).status).toBe(200);
    web.store.users.remove('ana');
    expect((await request(web.port, 'GET', '/api/jobs', now)).status).toBe(401);
    expect((await request(web.port, 'GET', '/api/jobs', { Authorization: `Bearer ${fresh}` })).status).toBe(401);
  });

  it('an open live stream ends when its person is removed from another process', async () => {
    const web = await openDashboard();
    const ana = person(web, 'ana', 'viewer');
    const ended = await new Promise<{ hello: boolean; end: Promise<void> }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: web.port, path: '/api/events', headers: { Host: `127.0.0.1:${web.port}`, Cookie: `dropwork_${web.port}=${ana.secret}` } }, (res) => {
        let text = '';
        const end = new Promise<void>((done) => res.on('end', () => done()));
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.includes('event: hello')) resolve({ hello: true, end });
        });
      });
      req.on('error', reject);
    });
    expect(ended.hello).toBe(true);
    // As `dropwork users remove ana` does it: its own connection to the database.
    const cli = new Store(web.paths.dbFile);
    cli.users.remove('ana');
    cli.close();
    await ended.end; // the test's timeout is the failure if it never ends
  });
});

/** This machine's address on its network, if it has one: a request to it comes from outside loopback. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    const a = list?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return undefined;
}

function requestTo(host: string, port: number, p: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: p, headers: { Host: `${host}:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a dashboard open to the network (host: 0.0.0.0)', () => {
  const address = outsideAddress();
  it.skipIf(!address)('lets in people from other machines, and the install token only from this one', async () => {
    const home = makeHome(PLAIN_AND_HELD);
    const token = uiToken(home.paths);
    const dashboard = new Dashboard({ store: home.store, paths: home.paths, log: createLogger({}), events: new Events(), config: () => defaults, ruleSet: () => home.rules }, token);
    try {
      const port = await dashboard.listen('0.0.0.0', 0);
      const ip = address as string;
      const bearer = { Authorization: `Bearer ${token}` };
      // No people yet: another machine is turned away, even with the token.
      const far = await requestTo(ip, port, '/api/jobs', bearer);
      expect(far.status).toBe(401);
      expect(far.body).toContain("the install's own key opens the dashboard on its own machine only");
      expect((await requestTo('127.0.0.1', port, '/api/jobs', bearer)).status).toBe(200);
      const secret = newSecret();
      home.store.users.add('ana', 'viewer', hashSecret(secret));
      expect((await requestTo(ip, port, '/api/me', { Cookie: `dropwork_${port}=${secret}` })).body).toBe('{"name":"ana","role":"viewer","via":"person"}');
      expect((await requestTo(ip, port, '/api/jobs', bearer)).status).toBe(401);
      const page = await requestTo(ip, port, `/?token=${token}`, {});
      expect(page.status).toBe(401);
      expect(page.body).toContain('sign in with your own link');
    } finally {
      await dashboard.close();
      home.close();
      fs.rmSync(home.root, { recursive: true, force: true });
    }
  });
});
