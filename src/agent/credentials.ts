/**
 * Where the API key comes from: the environment first, as the SDK reads it, then
 * `<home>/credentials.env` (KEY=VALUE lines, mode 0600), which the service installer writes
 * and which a person can edit while the daemon runs. Read fresh on every job: a key added or
 * changed later is picked up without a restart.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readEnvFile } from '../env-file.js';
import type { Store } from '../queue/store.js';

export interface Credentials {
  /** `apiKey` (x-api-key style keys) or `authToken` (bearer tokens), as the SDK names them. */
  kind: 'apiKey' | 'authToken';
  value: string;
  source: 'environment' | 'credentials.env';
  /** ANTHROPIC_BASE_URL from the same places; config's provider.base_url wins over it. */
  baseURL?: string | undefined;
}

export function credentialsFile(home: string): string {
  return path.join(home, 'credentials.env');
}

export function readCredentialsFile(home: string): Record<string, string> {
  return readEnvFile(credentialsFile(home));
}

/** The key to use now, or undefined when none is configured anywhere. */
export function findCredentials(home: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const file = readCredentialsFile(home);
  const baseURL = env.ANTHROPIC_BASE_URL || file.ANTHROPIC_BASE_URL || undefined;
  // The SDK's order: an API key before an auth token, the environment before anything else.
  if (env.ANTHROPIC_API_KEY) return { kind: 'apiKey', value: env.ANTHROPIC_API_KEY, source: 'environment', baseURL };
  if (env.ANTHROPIC_AUTH_TOKEN) return { kind: 'authToken', value: env.ANTHROPIC_AUTH_TOKEN, source: 'environment', baseURL };
  if (file.ANTHROPIC_API_KEY) return { kind: 'apiKey', value: file.ANTHROPIC_API_KEY, source: 'credentials.env', baseURL };
  if (file.ANTHROPIC_AUTH_TOKEN) return { kind: 'authToken', value: file.ANTHROPIC_AUTH_TOKEN, source: 'credentials.env', baseURL };
  return undefined;
}

/** Names a key in the history without revealing it. */
export function fingerprint(c: Credentials): string {
  return createHash('sha256').update(c.value).digest('hex').slice(0, 12);
}

interface Rejection {
  fingerprint: string;
  status: number | null;
  at: number;
}

const REJECTED = 'agent.rejected_key';

/**
 * A key the API refused (401/403) is remembered in the database, so every later job with the
 * same key waits at once instead of asking again: one refusal, not a storm of them.
 */
export function markRejected(store: Store, c: Credentials, status: number | null): void {
  store.setState(REJECTED, { fingerprint: fingerprint(c), status, at: Date.now() } satisfies Rejection);
}

export function isRejected(store: Store, c: Credentials): boolean {
  return store.getState<Rejection>(REJECTED)?.fingerprint === fingerprint(c);
}

/** Forgets a refusal once the key has changed; true when there was one to forget. */
export function clearRejectionIfChanged(store: Store, c: Credentials | undefined): boolean {
  const r = store.getState<Rejection | null>(REJECTED);
  if (!r || !c || r.fingerprint === fingerprint(c)) return false;
  store.setState(REJECTED, null);
  return true;
}

export const NO_KEY = 'no API key';
export const KEY_REJECTED = 'API key rejected';

export function noKeyReason(home: string): string {
  return `${NO_KEY}: set ANTHROPIC_API_KEY, or put ANTHROPIC_API_KEY=... in ${credentialsFile(home)}; the job starts as soon as there is one`;
}

export function rejectedReason(home: string, status: number | null): string {
  return `${KEY_REJECTED}${status ? ` (HTTP ${status})` : ''}: fix ANTHROPIC_API_KEY or ${credentialsFile(home)}; the job starts again when the key changes`;
}
