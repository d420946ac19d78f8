import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allows, type Role } from '../users/roles.js';
import { crossSiteRefusal, fromOurPage, hostAllowed, sessionCookie, signInFromElsewhere } from './auth.js';
import type { WebDeps } from './deps.js';
import { BASE_HEADERS, HttpError, PAGE_CSP, readJson, sendError } from './http.js';
import { LiveUpdates } from './live.js';
import { Router } from './router.js';
import { routes } from './routes.js';
import { identify, type Refusal, type Session } from './session.js';
import { confirmSignIn, pathBack, readSignInForm } from './signin.js';

/** The pages and their assets: plain files, no build step (scripts/copy-assets.mjs ships them). */
export const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

/** Paths that are pages of the app; each gets index.html and the script draws the page. */
const PAGES = [/^\/$/, /^\/jobs\/?$/, /^\/jobs\/\d+\/?$/, /^\/rules\/?$/, /^\/spending\/?$/];
const ASSET = /^\/assets\/([a-z0-9-]+\.(js|css|svg))$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

/**
 * The dashboard: node:http, a small router, JSON under /api/, and the static pages. Every
 * request needs the install's token or a person's secret (a cookie set from a link, or a bearer
 * header); every change must come from the dashboard's own pages, and a person's role must allow it.
 */
export class Dashboard {
  private server: http.Server | undefined;
  private readonly live: LiveUpdates;
  private readonly router = new Router();
  private host = '127.0.0.1';
  port = 0;

  constructor(private readonly deps: WebDeps, private readonly token: string) {
    this.live = new LiveUpdates(deps);
    routes(this.router, deps, this.live);
  }

  async listen(host: string, port: number): Promise<number> {
    this.host = host;
    const server = http.createServer((req, res) => void this.handle(req, res));
    // Requests are small and local; a slow or stuck client must not hold a socket for long.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.live.start();
    return this.port;
  }

  async close(): Promise<void> {
    this.live.stop();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      return sendError(res, 400, 'bad request');
    }
    const isApi = url.pathname.startsWith('/api/');
    try {
      if (!hostAllowed(req, this.host, this.port)) throw new HttpError(421, 'this server answers to 127.0.0.1 and localhost only');
      if (url.pathname === '/signin' && req.method === 'POST') return await this.signInByButton(req, res);
      const session = identify(req, url, this.token, this.port, this.deps.store.users);
      if (typeof session === 'string') return this.unauthorised(res, isApi, session);
      if (session.via === 'query' && !isApi && req.method === 'GET') {
        // A link another site opened signs nobody in by itself: one click on our page first.
        const elsewhere = signInFromElsewhere(req);
        if (elsewhere) return confirmSignIn(res, session, session.secret, pathBack(url), elsewhere);
        return this.rememberAndRedirect(res, url, session.secret);
      }
      const method = req.method ?? 'GET';
      if (method === 'POST') {
        const refusal = crossSiteRefusal(req, session.via);
        if (refusal) throw new HttpError(403, refusal);
      }
      if (isApi) return await this.api(req, res, url, method, session);
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'pages are read with GET');
      return this.page(res, url.pathname);
    } catch (err) {
      if (err instanceof HttpError) return this.fail(res, err.status, err.message, isApi);
      this.deps.log.error('the dashboard could not answer a request', { path: url.pathname, error: String(err) });
      return this.fail(res, 500, 'something went wrong; the daemon log has the details', isApi);
    }
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL, method: string, session: Session): Promise<void> {
    const found = this.router.find(method, url.pathname);
    if (found === 'wrong method') throw new HttpError(405, `${method} is not accepted here`);
    if (!found) throw new HttpError(404, `no API at ${url.pathname}`);
    if (!allows(session.role, found.need)) throw new HttpError(403, forbidden(session, found.need));
    const body = method === 'POST' ? await readJson(req) : {};
    const { secret: _, ...who } = session;
    await found.handler({ req, res, url, params: found.params, body, actor: session.actor, session: who });
  }

  private page(res: ServerResponse, pathname: string): void {
    const asset = ASSET.exec(pathname);
    if (asset) return this.file(res, asset[1] as string, TYPES[asset[2] as string] as string);
    if (PAGES.some((p) => p.test(pathname))) return this.file(res, 'index.html', 'text/html; charset=utf-8');
    throw new HttpError(404, 'no such page');
  }

  private file(res: ServerResponse, name: string, type: string): void {
    let body: Buffer;
    try {
      body = fs.readFileSync(path.join(PUBLIC_DIR, name));
    } catch {
      throw new HttpError(404, 'no such page');
    }
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': type, 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-cache', 'Content-Length': body.length });
    res.end(body);
  }

  /** The button of the sign-in page (signin.ts): accepted only when posted from a page of ours. */
  private async signInByButton(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!fromOurPage(req)) throw new HttpError(403, 'refused: signing in with a button works only from the dashboard\'s own page');
    const form = await readSignInForm(req);
    const target = new URL(form.then, 'http://dashboard.invalid');
    target.searchParams.set('token', form.token);
    const session = identify(req, target, this.token, this.port, this.deps.store.users);
    if (typeof session === 'string') return this.unauthorised(res, false, session);
    return this.rememberAndRedirect(res, target, session.secret);
  }

  /** A link (the token's or a person's): remember it in a cookie, then show the clean URL (no secret in history). */
  private rememberAndRedirect(res: ServerResponse, url: URL, secret: string): void {
    url.searchParams.delete('token');
    const clean = url.pathname + (url.search || '');
    res.writeHead(303, { ...BASE_HEADERS, Location: clean, 'Set-Cookie': sessionCookie(this.port, secret), 'Cache-Control': 'no-store' });
    res.end();
  }

  private unauthorised(res: ServerResponse, isApi: boolean, why: Refusal): void {
    if (why === 'token from afar') {
      const message = 'the install\'s own key opens the dashboard on its own machine only; from another machine, sign in with your own link (an admin makes one with `dropwork users add NAME`)';
      return isApi ? sendError(res, 401, message) : this.fail(res, 401, `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}.`, false);
    }
    if (isApi) return sendError(res, 401, 'this needs a sign-in: open your link (`dropwork users link NAME`, or `dropwork ui --print-url` on this machine), or send Authorization: Bearer SECRET');
    if (why === 'not valid') return this.fail(res, 401, 'This link or key no longer works: it was replaced by a newer one, or its person was removed. Ask for a new link (`dropwork users link NAME`), or on this machine open the dashboard with `dropwork ui`.', false);
    this.fail(res, 401, 'This dashboard needs its key. Open it with `dropwork ui`, or use the link that `dropwork ui --print-url` prints.', false);
  }

  private fail(res: ServerResponse, status: number, message: string, isApi: boolean): void {
    if (res.headersSent) return void res.end();
    if (isApi) return sendError(res, status, message);
    const html = `<!doctype html><meta charset="utf-8"><title>dropwork</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:15vh auto;padding:0 1em;color:#1f2933}code{background:#eef1f4;padding:.1em .3em;border-radius:4px}</style><h1>dropwork</h1><p>${escapeHtml(message).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`;
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'", 'Cache-Control': 'no-store' });
    res.end(html);
  }
}

function forbidden(session: Session, need: Role): string {
  const name = session.person?.name ?? 'this key';
  return `${name} is ${article(session.role)} ${session.role}; this needs ${article(need)} ${need} (an admin can change that: dropwork users role ${session.person?.name ?? 'NAME'} ${need})`;
}

const article = (role: Role): string => (role === 'viewer' ? 'a' : 'an');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
