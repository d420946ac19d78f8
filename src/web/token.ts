import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Paths } from '../paths.js';

export function tokenFile(paths: Paths): string {
  return path.join(paths.dataDir, 'ui-token');
}

/**
 * The per-install secret every dashboard request must carry. Made on first use, readable by
 * this user only; `wx` makes the daemon and `dropwork ui` agree when both create it at once.
 */
export function uiToken(paths: Paths): string {
  const file = tokenFile(paths);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) {
      if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
      return existing;
    }
  } catch {
    // not made yet
  }
  fs.mkdirSync(paths.dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  try {
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return token;
  } catch {
    // Someone made it between our read and write (or it was too short): theirs wins, else ours.
    const now = fs.readFileSync(file, 'utf8').trim();
    if (now.length >= 32) return now;
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    return token;
  }
}

/** Compares in constant time, so the token cannot be guessed a character at a time. */
export function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Wildcard addresses listen everywhere; a browser on this machine reaches them at 127.0.0.1. */
export function browserHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function dashboardUrl(config: Pick<Config, 'host'>, port: number, token?: string): string {
  const base = `http://${browserHost(config.host)}:${port}/`;
  return token ? `${base}?token=${encodeURIComponent(token)}` : base;
}
