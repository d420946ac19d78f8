/**
 * The one click a sign-in link needs when another site opened it (auth.ts signInFromElsewhere):
 * a page of ours that says whose link it is, with a button that posts it back. Only a person
 * looking at our page can press it (no frame may hold it), so a foreign page can no longer
 * sign a browser in as someone of its choosing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BASE_HEADERS, HttpError } from './http.js';
import type { Session } from './session.js';

const MAX_FORM = 4096;
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:15vh auto;padding:0 1em;color:#1f2933}button{font:inherit;padding:.4em 1.2em}';

/** Where to go after signing in: a path of ours, never another site (`//evil`). */
export function pathBack(url: URL): string {
  const p = url.pathname;
  return p.startsWith('/') && !p.startsWith('//') && !p.startsWith('/signin') ? p : '/';
}

/** The page with the button. The secret is in it (in a form field): it is the link's own, already in the address. */
export function confirmSignIn(res: ServerResponse, session: Session, secret: string, back: string, why: string): void {
  const who = session.person ? `${escapeHtml(session.person.name)} (${session.role})` : "this machine's own key";
  const html = `<!doctype html><meta charset="utf-8"><title>dropwork: sign in?</title><style>${STYLE}</style>
<h1>dropwork</h1><p>Sign in as <strong>${who}</strong>?</p>
<p>${escapeHtml(why)}, which may have picked whose link it is. If you did not mean to sign in just now, close this page.</p>
<form method="post" action="/signin"><input type="hidden" name="token" value="${escapeHtml(secret)}"><input type="hidden" name="then" value="${escapeHtml(back)}"><button type="submit">Sign in as ${session.person ? escapeHtml(session.person.name) : 'the install'}</button></form>`;
  res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY',
    // The button's POST must carry our Origin (no-referrer would make it "null"); the page's
    // own address holds the secret, so it is never sent to another site.
    'Referrer-Policy': 'same-origin' });
  res.end(html);
}

/** The button's form: the link's secret and the page to return to. */
export async function readSignInForm(req: IncomingMessage): Promise<{ token: string; then: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM) throw new HttpError(413, 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const then = form.get('then') ?? '/';
  return { token: form.get('token') ?? '', then: then.startsWith('/') && !then.startsWith('//') ? then : '/' };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
