import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nextMidnight } from '../../src/agent/budget.js';
import type { Daemon } from '../../src/daemon.js';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { baseConfig, drop, invoice, jobsOf, makeHome, serve, startDaemon, waitUntil, writeKey, writeRule, type Home } from './helpers.js';

let server: MessagesServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  await server?.close();
  daemon = undefined;
  server = undefined;
});

const RECEIPTS = { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Note the receipt in output/seen.txt.' };
const SORT = { name: 'sort', watch: 'inbox/sort', output: 'outputs/sort', actions: [{ copy: '.' }] };

async function setup(config: Record<string, unknown> = {}): Promise<Home> {
  const home = makeHome();
  server = await serve();
  baseConfig(home, server, config);
  writeRule(home, RECEIPTS);
  writeRule(home, SORT);
  return home;
}

const done = (text = 'Nothing to write.') => turn.text(text);

describe('agent jobs that wait', () => {
  it('wait for an API key while deterministic rules go on, and run once a key is configured', async () => {
    const home = await setup();
    daemon = await startDaemon(home, ['receipts', 'sort']);
    drop(home, 'receipts', invoice('oyo.pdf'));
    drop(home, 'sort', invoice('oyo.png'));
    await waitUntil(() => jobsOf(daemon!, 'receipts')[0]?.status === 'waiting', 'the agent job to wait');
    const waiting = jobsOf(daemon, 'receipts')[0];
    expect(waiting?.reason).toMatch(/^no API key: set ANTHROPIC_API_KEY, or put ANTHROPIC_API_KEY=\.\.\. in .*credentials\.env/);
    await waitUntil(() => jobsOf(daemon!, 'sort')[0]?.status === 'succeeded', 'the deterministic job');
    expect(fs.existsSync(path.join(home.outputs('sort'), 'oyo.png'))).toBe(true);
    expect(server?.requests).toHaveLength(0);

    server?.script([done()]);
    writeKey(home);
    await waitUntil(() => jobsOf(daemon!, 'receipts')[0]?.status === 'succeeded', 'the agent job to run with the new key');
    expect(server?.messageRequests()).toHaveLength(1);
  });

  it('wait with "API key rejected" after one 401, ask no more with that key, and run when the key changes', async () => {
    const home = await setup();
    writeKey(home, 'sk-ant-wrong-key-0000000000');
    daemon = await startDaemon(home, ['receipts']);
    drop(home, 'receipts', invoice('oyo.pdf'));
    await waitUntil(() => jobsOf(daemon!, 'receipts')[0]?.status === 'waiting', 'the first job to wait');
    drop(home, 'receipts', invoice('FlipkartInvoice.pdf'));
    await waitUntil(() => jobsOf(daemon!, 'receipts')[1]?.status === 'waiting', 'the second job to wait');
    const [a, b] = jobsOf(daemon, 'receipts');
    expect(a?.reason).toMatch(/^API key rejected \(HTTP 401\): fix ANTHROPIC_API_KEY or .*credentials\.env/);
    expect(b?.reason).toMatch(/^API key rejected: /);
    expect(server?.requests).toHaveLength(1); // one refusal, not a storm
    expect(a?.attempts).toBe(1);

    server?.script([done(), done()]);
    writeKey(home);
    await waitUntil(() => jobsOf(daemon!, 'receipts').every((j) => j.status === 'succeeded'), 'both jobs to run with the fixed key');
    // The refusal came from count_tokens (a PDF's tokens are counted before the cost cap lets it go), before any message.
    expect(server?.requests[0]?.path).toBe('/v1/messages/count_tokens');
    expect(server?.messageRequests()).toHaveLength(2);
  });

  it('wait for tomorrow once the daily budget is spent, and run when the budget is raised', async () => {
    const home = await setup({ daily_budget_usd: 0.01 });
    writeKey(home);
    daemon = await startDaemon(home, ['receipts']);
    server?.script([done()]);
    drop(home, 'receipts', invoice('oyo.pdf'));
    await waitUntil(() => jobsOf(daemon!, 'receipts')[0]?.status === 'succeeded', 'the first job');
    expect(jobsOf(daemon, 'receipts')[0]?.cost_usd).toBeGreaterThan(0.01);

    drop(home, 'receipts', invoice('FlipkartInvoice.pdf'));
    await waitUntil(() => jobsOf(daemon!, 'receipts')[1]?.status === 'waiting', 'the second job to wait');
    const waiting = jobsOf(daemon, 'receipts')[1];
    expect(waiting?.reason).toMatch(/^daily budget reached: \$0\.0\d+ spent today of daily_budget_usd \$0\.010; waiting for tomorrow or a higher budget$/);
    expect(waiting?.run_at).toBe(nextMidnight());
    expect(server?.messageRequests()).toHaveLength(1);

    server?.script([done()]);
    if (server) baseConfig(home, server, { daily_budget_usd: 1 });
    await waitUntil(() => jobsOf(daemon!, 'receipts')[1]?.status === 'succeeded', 'the second job after the raise');
    expect(daemon.config.daily_budget_usd).toBe(1);
  });
});
