/**
 * The SDK client for a job: Anthropic's API, or any Anthropic-compatible server named by
 * config's `provider.base_url` (or ANTHROPIC_BASE_URL). The SDK's own retries are off: the
 * agent retries each request itself (request.ts), so every failure lands in the job's history
 * and the circuit breaker sees it.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Config } from '../config.js';
import type { Rule } from '../rules/rule.js';
import type { Credentials } from './credentials.js';
import { agentSettings } from './settings.js';

export function makeClient(config: Config, creds: Credentials): Anthropic {
  const baseURL = config.provider.base_url ?? creds.baseURL;
  return new Anthropic({
    // Exactly one credential: passing it keeps the SDK from reading the environment for another.
    ...(creds.kind === 'apiKey' ? { apiKey: creds.value } : { authToken: creds.value }),
    ...(baseURL ? { baseURL } : {}),
    maxRetries: 0,
    timeout: agentSettings.requestTimeoutMs,
    logLevel: 'off',
  });
}

/** The server the job talks to, for the history (never with a key in it). */
export function describeProvider(config: Config, creds: Credentials): string {
  const url = config.provider.base_url ?? creds.baseURL;
  return url ? new URL(url).origin : 'Anthropic API';
}

export function agentModel(rule: Rule, config: Config): string {
  return rule.model ?? config.model;
}
