import type { IncomingMessage } from 'node:http';

/** How a request proved it may see the dashboard. */
export type Credential = 'cookie' | 'bearer' | 'query';

/** Per port: cookies ignore ports, and two homes on one machine must not log each other out. */
export function cookieName(port: number): string {
  return `dropwork_${port}`;
}

/** The session cookie holds the secret the browser signed in with: the token or a person's. */
export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=31536000`;
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host header must name this server. A page on another site whose name was made to point at
 * 127.0.0.1 (DNS rebinding) sends its own name and is turned away. A server told to listen on
 * every interface is reached under whatever name the network gives it, so it checks nothing.
 */
export function hostAllowed(req: IncomingMessage, listenHost: string, port: number): boolean {
  if (listenHost === '0.0.0.0' || listenHost === '::') return true;
  const host = (req.headers.host ?? '').toLowerCase();
  const names = [...LOOPBACK, listenHost.includes(':') ? `[${listenHost}]` : listenHost];
  return names.some((n) => host === `${n}:${port}` || (port === 80 && host === n));
}

/**
 * Why a state-changing request is refused as cross-site, or undefined when it may go ahead.
 * A browser sends the cookie by itself, so a cookie-authenticated POST must also show it came
 * from our own pages: a same-origin Origin or Sec-Fetch-Site, or the X-Dropwork header that
 * only same-origin script can add. A bearer token is never sent by a browser on its own.
 */
export function crossSiteRefusal(req: IncomingMessage, via: Credential): string | undefined {
  if (via === 'bearer') return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `refused a ${site} request: changes can only be made from the dashboard itself`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return `refused a request from ${origin}: changes can only be made from the dashboard itself`;
  if (site === 'same-origin' || origin !== undefined || req.headers['x-dropwork'] === '1') return undefined;
  return 'refused: a change needs the X-Dropwork: 1 header, or a bearer token';
}

/**
 * Why a sign-in link (`/?token=`) must not sign this browser in at once, or undefined when it
 * may. A link opened by a person (typed, from a bookmark, from a mail or chat app, from `dropwork
 * ui`) is a top-level navigation the browser marks `Sec-Fetch-Site: none`; one a foreign page
 * makes (a redirect, a form, a frame) says `cross-site` or `same-site`, and would sign the person
 * in as whoever the page chose (login CSRF: their next approvals then carry that name). Browsers
 * without Sec-Fetch headers are judged by Referer and Origin. Such a link gets a page of ours
 * with one button instead (server.ts).
 */
export function signInFromElsewhere(req: IncomingMessage): string | undefined {
  const one = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const site = one('sec-fetch-site');
  if (site !== undefined && site !== 'none' && site !== 'same-origin') return `the link was opened by another site (${site})`;
  const mode = one('sec-fetch-mode');
  if (mode !== undefined && mode !== 'navigate') return 'the link was not opened as a page';
  const dest = one('sec-fetch-dest');
  if (dest !== undefined && dest !== 'document') return `the link was opened inside another page (${dest})`;
  const ours = `http://${req.headers.host ?? ''}`;
  for (const from of [one('origin'), one('referer')]) {
    if (from === undefined) continue;
    let origin: string;
    try {
      origin = new URL(from).origin;
    } catch {
      origin = from;
    }
    if (origin !== ours) return `the link was opened from ${origin}`;
  }
  return undefined;
}

/** Whether a POST comes from our own page (the sign-in button): same origin by Sec-Fetch-Site (which no page can set), else by Origin. */
export function fromOurPage(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (site !== undefined) return site === 'same-origin';
  return origin === `http://${req.headers.host ?? ''}`;
}
