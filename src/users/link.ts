import os from 'node:os';
import type { Config } from '../config.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** Whether the dashboard listens only on this machine (config `host:`). */
export function loopbackOnly(host: string): boolean {
  return LOOPBACK.has(host);
}

/**
 * The address others use to reach the dashboard. A wildcard `host:` listens on every interface,
 * so the link names this machine's first outside IPv4 address (a name like `ana-pc.local` is not
 * resolvable in every office); set `host:` to that name to get links with it instead.
 */
export function reachableHost(host: string): string {
  if (!WILDCARD.has(host)) return host.includes(':') ? `[${host}]` : host;
  for (const list of Object.values(os.networkInterfaces())) {
    const outside = list?.find((a) => a.family === 'IPv4' && !a.internal);
    if (outside) return outside.address;
  }
  return os.hostname();
}

/** A person's sign-in link: opening it signs that browser in as them. */
export function signInLink(config: Pick<Config, 'host'>, port: number, secret: string): string {
  return `http://${reachableHost(config.host)}:${port}/?token=${secret}`;
}

/** What to tell whoever made a link when nobody else could open it yet. */
export function reachNote(config: Pick<Config, 'host'>): string | undefined {
  if (!loopbackOnly(config.host)) return undefined;
  return `the dashboard listens on ${config.host} (this machine only); for others to open the link, set host: in config.yaml (e.g. host: 0.0.0.0) and restart dropwork`;
}
