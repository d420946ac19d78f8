import { readCredentials, credentialsFile } from '../service/credentials.js';
import type { DoctorContext } from './check.js';

export const ANTHROPIC_URL = 'https://api.anthropic.com';

export interface ApiTarget {
  baseURL: string;
  /** Where the base URL came from, for messages. */
  baseFrom: string;
  key?: { kind: 'apiKey' | 'authToken'; value: string; from: string } | undefined;
}

/**
 * The server and key the agent will use, found the way it finds them: the environment, then
 * `<home>/credentials.env`; config.yaml's provider.base_url wins for the server.
 */
export function apiTarget(ctx: DoctorContext): ApiTarget {
  const file = credentialsFile(ctx.paths.home);
  const saved = readCredentials(file);
  const env = ctx.env;
  const base: [string | undefined, string][] = [
    [ctx.config.provider.base_url, 'provider.base_url in config.yaml'],
    [env.ANTHROPIC_BASE_URL, 'ANTHROPIC_BASE_URL'],
    [saved.ANTHROPIC_BASE_URL, `ANTHROPIC_BASE_URL in ${file}`],
  ];
  const [baseURL, baseFrom] = base.find(([v]) => v) ?? [ANTHROPIC_URL, 'Anthropic'];
  const keys: [ApiTarget['key'] | undefined][] = [
    [env.ANTHROPIC_API_KEY ? { kind: 'apiKey', value: env.ANTHROPIC_API_KEY, from: 'ANTHROPIC_API_KEY in the environment' } : undefined],
    [env.ANTHROPIC_AUTH_TOKEN ? { kind: 'authToken', value: env.ANTHROPIC_AUTH_TOKEN, from: 'ANTHROPIC_AUTH_TOKEN in the environment' } : undefined],
    [saved.ANTHROPIC_API_KEY ? { kind: 'apiKey', value: saved.ANTHROPIC_API_KEY, from: file } : undefined],
    [saved.ANTHROPIC_AUTH_TOKEN ? { kind: 'authToken', value: saved.ANTHROPIC_AUTH_TOKEN, from: file } : undefined],
  ];
  return { baseURL: (baseURL as string).replace(/\/+$/, ''), baseFrom, key: keys.find(([k]) => k)?.[0] };
}
