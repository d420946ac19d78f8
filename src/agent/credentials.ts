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
import { DEFAULT_PROVIDER, isLoopback, type ProviderSettings } from './provider.js';

export interface Credentials {
  /**
   * `apiKey` (x-api-key style keys) or `authToken` (bearer tokens), as the SDK names them;
   * `none` for a server on this machine that asks for no key.
   */
  kind: 'apiKey' | 'authToken' | 'none';
  value: string;
  source: 'environment' | 'credentials.env' | 'nowhere (a local server needs none)';
  /** ANTHROPIC_BASE_URL from the same places; config's provider.base_url wins over it. */
  baseURL?: string | undefined;
  /** The variable a named provider's key is read from (its `key_env`); unset for the default key. */
  variable?: string | undefined;
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

/** The variable a named provider's key lives in; undefined when it uses the default (Anthropic) key. */
export function keyVariable(p: Pick<ProviderSettings, 'api' | 'key_env'>): string | undefined {
  return p.key_env ?? (p.api === 'openai' ? 'OPENAI_API_KEY' : undefined);
}

/**
 * The key for a provider: its own variable (environment first, then credentials.env), the
 * default Anthropic key for an Anthropic provider without one, and none at all for a server on
 * 127.0.0.1 that was given no key.
 */
export function findKeyFor(home: string, p: Pick<ProviderSettings, 'name' | 'api' | 'key_env' | 'base_url'>, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const variable = keyVariable(p);
  let found: Credentials | undefined;
  if (variable === undefined) found = findCredentials(home, env);
  else {
    const fromEnv = env[variable];
    const fromFile = fromEnv ? undefined : readCredentialsFile(home)[variable];
    if (fromEnv) found = { kind: 'apiKey', value: fromEnv, source: 'environment', variable };
    else if (fromFile) found = { kind: 'apiKey', value: fromFile, source: 'credentials.env', variable };
  }
  if (found) return found;
  // Named providers only: the default one asks for a key as it always did, whatever its server.
  return p.name !== DEFAULT_PROVIDER && isLoopback(p.base_url) ? { kind: 'none', value: '', source: 'nowhere (a local server needs none)', ...(variable ? { variable } : {}) } : undefined;
}

/**
 * Every key there is, to mask in the history and the dashboard: each value of credentials.env
 * (the file holds nothing else), and API keys and tokens of the environment.
 */
export function everyKey(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = Object.entries(env).filter(([k, v]) => /(API_KEY|AUTH_TOKEN)$/.test(k) && v).map(([, v]) => v as string);
  const fromFile = Object.entries(readCredentialsFile(home)).filter(([k]) => !/URL$/.test(k)).map(([, v]) => v);
  return [...new Set([...fromFile, ...fromEnv])].filter((v) => v.length >= 8);
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
/** Each named provider's key is refused or not on its own. */
const rejectedState = (c: Credentials): string => (c.variable ? `${REJECTED}.${c.variable}` : REJECTED);

/**
 * A key the API refused (401/403) is remembered in the database, so every later job with the
 * same key waits at once instead of asking again: one refusal, not a storm of them.
 */
export function markRejected(store: Store, c: Credentials, status: number | null): void {
  store.setState(rejectedState(c), { fingerprint: fingerprint(c), status, at: Date.now() } satisfies Rejection);
}

export function isRejected(store: Store, c: Credentials): boolean {
  if (c.kind === 'none') return false;
  return store.getState<Rejection>(rejectedState(c))?.fingerprint === fingerprint(c);
}

/** Forgets a refusal once the key has changed; true when there was one to forget. */
export function clearRejectionIfChanged(store: Store, c: Credentials | undefined): boolean {
  if (!c) return false;
  const r = store.getState<Rejection | null>(rejectedState(c));
  if (!r || r.fingerprint === fingerprint(c)) return false;
  store.setState(rejectedState(c), null);
  return true;
}

export const NO_KEY = 'no API key';
export const KEY_REJECTED = 'API key rejected';

export function noKeyReason(home: string): string {
  return `${NO_KEY}: set ANTHROPIC_API_KEY, or put ANTHROPIC_API_KEY=... in ${credentialsFile(home)}; the job starts as soon as there is one`;
}

export function rejectedReason(home: string, status: number | null, variable?: string): string {
  // A named provider's reason starts with its variable, so the default key's change resumes none of its jobs.
  const what = variable ? namedRejected(variable) : KEY_REJECTED;
  return `${what}${status ? ` (HTTP ${status})` : ''}: fix ${variable ?? 'ANTHROPIC_API_KEY'} or ${credentialsFile(home)}; the job starts again when the key changes`;
}

export const namedRejected = (variable: string): string => `${variable} rejected`;

/** A named provider's missing key; the daemon resumes its jobs when that variable is set. */
export function noKeyForReason(home: string, provider: string, variable: string): string {
  return `${NO_KEY} for provider ${provider} (${variable}): put ${variable}=... in ${credentialsFile(home)} (chmod 600) or set it in the environment; the job starts as soon as there is one`;
}
