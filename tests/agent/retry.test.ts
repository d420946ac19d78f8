import { afterEach, describe, expect, it } from 'vitest';
import { apiHealth } from '../../src/agent/health.js';
import { tuneAgent } from '../../src/agent/settings.js';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { Harness, baseConfig, invoice, makeHome, serve, waitUntil, writeKey, writeRule } from './helpers.js';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

async function setup(): Promise<Harness> {
  const home = makeHome();
  server = await serve();
  baseConfig(home, server);
  writeKey(home);
  writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Note it.' });
  h = new Harness(home, { retry_base_ms: 50, retry_max_ms: 100 });
  return h;
}

const write = turn.toolUse({ name: 'write_file', input: { path: 'output/seen.txt', content: 'seen' } });

describe('requests that fail on the way', () => {
  it('waits the retry-after of a 429, then goes on in the same attempt', async () => {
    const h = await setup();
    server?.script([turn.rateLimited(0.4), write, turn.text('ok')]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(job.attempts).toBe(1);
    const [limited, retried] = server?.messageRequests() ?? [];
    expect((retried?.receivedAt ?? 0) - (limited?.receivedAt ?? 0)).toBeGreaterThanOrEqual(380);
    expect(h.log(job.id, 'request_error')).toEqual([expect.stringMatching(/^HTTP 429 rate_limit_error: .*; try 2 in 0\.4 s$/)]);
  });

  it('retries a connection reset, a stream cut halfway, an overload mid-stream and a 500', async () => {
    const h = await setup();
    // Three failed tries of the first request (of 4 allowed), one of the second.
    server?.script([turn.reset(), turn.streamCut(4, write), turn.streamError(3, write), write, turn.serverError(), turn.text('ok')]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(job.attempts).toBe(1);
    const errors = h.log(job.id, 'request_error');
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^could not reach the API/);
    expect(errors[1]).toMatch(/^the response was cut off/);
    expect(errors[2]).toMatch(/^overloaded_error: Overloaded \(mid-response\)/);
    expect(errors[3]).toMatch(/^HTTP 500 api_error/);
    // Only complete answers count: the conversation went on from the turn that arrived whole.
    expect(h.log(job.id, 'tool_call')).toEqual(['write_file {"path":"output/seen.txt","content":"seen"}']);
  });

  it('ends a stream that goes silent with its idle watchdog, and tries again', async () => {
    const h = await setup();
    tuneAgent({ retryBaseMs: 20, retryMaxMs: 200, idleTimeoutMs: 1000 });
    server?.script([turn.streamStall(3, write), write, turn.text('ok')]);
    const started = Date.now();
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.log(job.id, 'request_error')).toEqual([expect.stringMatching(/^the answer stopped for 1\.0 s; try 2 in /)]);
  });

  it('leaves a long retry-after to the queue instead of waiting inside the job', async () => {
    const h = await setup();
    server?.script([turn.rateLimited(120)]);
    const before = Date.now();
    const row = await h.queue('receipts', invoice('oyo.pdf'));
    await waitUntil(() => h.store.get(row.id)?.reason?.startsWith('retrying') === true, 'the job to be put off');
    const job = h.store.get(row.id);
    expect(job?.status).toBe('queued');
    expect(job?.reason).toMatch(/^retrying: the API did not answer after 1 tries: HTTP 429/);
    expect(job?.run_at).toBeGreaterThanOrEqual(before + 119_000);
  });

  it('fails at once on a request the API will never take (400), without retrying', async () => {
    const h = await setup();
    server?.script([turn.badRequest('messages: too long')]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status).toBe('failed');
    expect(job.reason).toBe('the API refused the request: HTTP 400 invalid_request_error: messages: too long');
    expect(server?.messageRequests()).toHaveLength(1);
    expect(apiHealth.down).toBe(false);
  });
});
