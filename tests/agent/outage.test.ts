import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiHealth } from '../../src/agent/health.js';
import { agentPlugin } from '../../src/agent/plugin.js';
import type { Daemon } from '../../src/daemon.js';
import { turn, type MessagesRequest, type MessagesServer, type Turn } from '../support/messages-server.js';
import { baseConfig, drop, filesIn, invoice, jobsOf, makeHome, serve, startDaemon, waitUntil, writeKey, writeRule } from './helpers.js';

let server: MessagesServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  await server?.close();
  daemon = undefined;
  server = undefined;
});

describe('when the API goes down', () => {
  it('pauses the rules that need the model, keeps the others going, probes, and resumes by itself', async () => {
    // The API: writes once, then is overloaded (529) until `up`; the daemon's probes are 1-token messages.
    let phase: 'writing' | 'down' | 'up' = 'writing';
    const probes: MessagesRequest[] = [];
    const firstTurns: number[] = [];
    const answer = (req: MessagesRequest): Turn => {
      if (req.body.max_tokens === 1) {
        probes.push(req);
        return phase === 'up' ? turn.text('p') : turn.overloaded();
      }
      if (phase === 'writing') {
        phase = 'down';
        return turn.toolUse({ name: 'write_file', input: { path: 'output/partial.txt', content: 'from the interrupted attempt' } });
      }
      if (phase === 'down') return turn.overloaded();
      firstTurns.push(req.body.messages.length);
      return turn.text('Nothing to write this time.');
    };
    const home = makeHome();
    server = await serve({ onRequest: answer });
    baseConfig(home, server);
    writeKey(home);
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Note the receipt.' });
    writeRule(home, { name: 'notes', watch: 'inbox/notes', output: 'outputs/notes', if: 'it is a meeting note', actions: [{ copy: '.' }] });
    writeRule(home, { name: 'sort', watch: 'inbox/sort', output: 'outputs/sort', actions: [{ copy: '.' }] });
    daemon = await startDaemon(home, ['receipts', 'notes', 'sort']);

    drop(home, 'receipts', invoice('oyo.pdf'));
    await waitUntil(() => apiHealth.down, 'the breaker to open');
    expect(agentPlugin.status().api).toMatch(/^down since /);
    expect(String(agentPlugin.status().paused_rules).split(' ').sort()).toEqual(['notes', 'receipts']);
    await waitUntil(() => jobsOf(daemon!, 'receipts')[0]?.status === 'queued', 'the job to be put back in the queue');
    expect(jobsOf(daemon, 'receipts')[0]?.reason).toMatch(/^retrying: the API did not answer after 4 tries: HTTP 529 overloaded_error/);

    // While it is down: deterministic work goes on; agent work (do: and if:) waits in the queue.
    drop(home, 'sort', invoice('oyo.png'));
    drop(home, 'receipts', invoice('FlipkartInvoice.pdf'));
    drop(home, 'notes', invoice('NetpresseInvoice.pdf'));
    await waitUntil(() => jobsOf(daemon!, 'sort')[0]?.status === 'succeeded', 'the deterministic job');
    await waitUntil(() => probes.length >= 2, 'the daemon to probe more than once');
    expect(jobsOf(daemon, 'receipts').map((j) => j.status)).toEqual(['queued', 'queued']);
    expect(jobsOf(daemon, 'notes').map((j) => j.status)).toEqual(['queued']);
    const requestsWhileDown = server.messageRequests().filter((r) => r.body.max_tokens !== 1).length;

    phase = 'up';
    await waitUntil(() => !apiHealth.down, 'the breaker to close', 10_000);
    await waitUntil(() => jobsOf(daemon!, 'receipts').every((j) => j.status === 'succeeded'), 'the receipts jobs to finish');
    expect(agentPlugin.status().api).toMatch(/^up \(last answer \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)$/);
    expect(agentPlugin.status().paused_rules).toBeUndefined();
    expect(server.messageRequests().filter((r) => r.body.max_tokens !== 1).length).toBeGreaterThan(requestsWhileDown);

    // The interrupted job started again from its first turn; its earlier write was never published.
    const [first] = jobsOf(daemon, 'receipts');
    expect(first?.attempts).toBe(2);
    expect(firstTurns.every((n) => n === 1)).toBe(true);
    expect(filesIn(home.outputs('receipts'))).toEqual([]);
    const kinds = daemon.store.logs(first?.id ?? 0).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'prompt')).toHaveLength(2);
    expect(kinds).toEqual(expect.arrayContaining(['request_error', 'retry', 'tool_call']));
    expect(fs.existsSync(path.join(home.outputs('sort'), 'oyo.png'))).toBe(true);
  });
});
