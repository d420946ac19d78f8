import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRejectionIfChanged, findCredentials, isRejected, markRejected } from '../../src/agent/credentials.js';
import { parseEnv as parseEnvFile } from '../../src/env-file.js';
import { priceFor, usageOf } from '../../src/agent/pricing.js';
import { Store } from '../../src/queue/store.js';

const usage = (u: Partial<Anthropic.Usage>): Anthropic.Usage => ({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...u }) as Anthropic.Usage;

describe('prices', () => {
  it('finds dated model ids by their model, and counts every kind of token', () => {
    expect(priceFor('claude-haiku-4-5-20251001').price).toMatchObject({ input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 });
    expect(priceFor('claude-sonnet-5-5').price).toMatchObject({ input: 2, output: 10, cacheRead: 0.1, cacheWrite: 2.5 });
    // 1M uncached in, 1M out, 1M written, 1M read on Sonnet 5.5: 2 + 10 + 2.5 + 0.1
    const u = usageOf(usage({ input_tokens: 1e6, output_tokens: 1e6, cache_creation_input_tokens: 1e6, cache_read_input_tokens: 1e6 }), priceFor('claude-sonnet-5-5').price);
    expect(u).toEqual({ input_tokens: 1e6, output_tokens: 1e6, cache_write_tokens: 1e6, cache_read_tokens: 1e6, cost_usd: 14.6 });
  });

  it('bills a long Haiku 5.5 prompt at five times the rate', () => {
    const { price } = priceFor('claude-haiku-5-5');
    expect(usageOf(usage({ input_tokens: 100_000, output_tokens: 1000 }), price).cost_usd).toBeCloseTo(0.0105, 6);
    expect(usageOf(usage({ input_tokens: 100_001, output_tokens: 1000 }), price).cost_usd).toBeCloseTo(0.0525005, 6);
  });

  it('takes config overrides, and counts an unknown model at the dearest price', () => {
    expect(priceFor('my-local-model', { 'my-local-model': { input: 0, output: 0 } })).toEqual({ price: { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 }, source: 'config' });
    expect(priceFor('gpt-something')).toMatchObject({ source: 'unknown', price: { input: 10, output: 50 } });
  });
});

describe('credentials', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads the environment first, then credentials.env, with the SDK\'s order', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-cred-'));
    const env: NodeJS.ProcessEnv = {};
    expect(findCredentials(home, env)).toBeUndefined();
    fs.writeFileSync(path.join(home, 'credentials.env'), '# key\nexport ANTHROPIC_AUTH_TOKEN="tok-123456789"\nANTHROPIC_BASE_URL=http://proxy.local:8080\n');
    expect(findCredentials(home, env)).toEqual({ kind: 'authToken', value: 'tok-123456789', source: 'credentials.env', baseURL: 'http://proxy.local:8080' });
    env.ANTHROPIC_API_KEY = 'sk-ant-env-key-123';
    expect(findCredentials(home, env)).toMatchObject({ kind: 'apiKey', value: 'sk-ant-env-key-123', source: 'environment' });
    expect(parseEnvFile("A='x y'\n  B = 2 \nnot a line\n#C=3")).toEqual({ A: 'x y', B: '2' });
  });

  it('remembers a refused key until the key changes', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-cred-'));
    const store = new Store(path.join(home, 'db.sqlite'));
    const bad = { kind: 'apiKey' as const, value: 'sk-ant-bad-000000', source: 'environment' as const };
    const good = { ...bad, value: 'sk-ant-good-111111' };
    markRejected(store, bad, 401);
    expect(isRejected(store, bad)).toBe(true);
    expect(clearRejectionIfChanged(store, bad)).toBe(false);
    expect(clearRejectionIfChanged(store, good)).toBe(true);
    expect(isRejected(store, bad)).toBe(false);
    expect(JSON.stringify(store.getState('agent.rejected_key'))).not.toContain('sk-ant');
    store.close();
  });
});
