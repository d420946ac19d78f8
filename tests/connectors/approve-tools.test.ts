/**
 * `approve: tools` with the real MCP SDK and the test stdio server: a read-only tool runs; the
 * first call of a tool its server does not mark read-only holds the job, showing the call, and
 * nothing reaches the server; approving runs the job again with its calls allowed; denying
 * cancels it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaults } from '../../src/config.js';
import { afterEach, expect, it } from 'vitest';
import { approveJob, denyJob } from '../../src/approve/decide.js';
import { jobDetail } from '../../src/web/api/jobs.js';
import type { WebDeps } from '../../src/web/deps.js';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { Harness, KEY, baseConfig, invoice, makeHome, serve, writeRule, type Home } from '../agent/helpers.js';

const STDIO_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'mcp', 'stdio-server.mjs');

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

function setUp(home: Home, s: MessagesServer): void {
  baseConfig(home, s, { mcp: { notes: { command: process.execPath, args: [STDIO_SERVER], env: ['NOTES_TOKEN'] } } });
  fs.writeFileSync(path.join(home.dir, 'credentials.env'), `ANTHROPIC_API_KEY=${KEY}\nNOTES_TOKEN=notes-secret-0123456789\n`, { mode: 0o600 });
  writeRule(home, { name: 'notes', watch: 'inbox/notes', output: 'outputs/notes', do: 'File this in the notes.', tools: ['notes.search', 'notes.create_page'], approve: 'tools' });
}

const deps = (harness: Harness) => ({ store: harness.store, paths: harness.home.paths, by: 'by ada (test)', who: 'ada' });

it('holds the job at the first call that changes things, showing it; approved, the job runs again with its calls allowed', async () => {
  const home = makeHome();
  server = await serve();
  setUp(home, server);
  server.script([
    turn.toolUse({ name: 'notes__search', input: { query: 'oyo' } }),
    turn.toolUse({ name: 'notes__create_page', input: { title: 'Oyo invoice' } }),
    // The second attempt, after approval.
    turn.toolUse({ name: 'notes__create_page', input: { title: 'Oyo invoice' } }),
    { ...turn.text('Filed.'), expect: (req) => expect(JSON.stringify(req.body.messages.at(-1))).toContain('created page \\"Oyo invoice\\"') },
  ]);
  h = new Harness(home);
  const held = await h.run('notes', invoice('oyo.pdf'));
  expect(held.status).toBe('waiting');
  expect(held.reason).toBe('awaiting approval of a connector call: notes.create_page {"title":"Oyo invoice"} (its server does not mark it read-only)');
  expect(h.log(held.id, 'tool_result')).toEqual(['found: oyo (token present)']); // the read-only one ran; the other never reached the server
  expect(server.pending).toBe(2);
  // The dashboard's job page shows the call, with approve and deny.
  const detail = jobDetail({ store: h.store, ruleSet: () => h?.rules, paths: home.paths, config: () => defaults } as unknown as WebDeps, String(held.id)) as { job: { awaiting_approval: boolean }; approval: { tool_call: string } };
  expect(detail.job.awaiting_approval).toBe(true);
  expect(detail.approval.tool_call).toBe('notes.create_page {"title":"Oyo invoice"} (its server does not mark it read-only)');

  const { job } = approveJob(deps(h), held.id, h.rules.rules);
  expect(job.status).toBe('queued');
  h.worker.wake();
  const done = await h.settled(held.id, ['succeeded', 'failed', 'cancelled']);
  expect(done.status, done.reason ?? '').toBe('succeeded');
  expect(h.log(held.id, 'tool_result')).toContain('created page "Oyo invoice"');
  expect(h.log(held.id, 'approved')).toEqual(['approved by ada (test): its connector calls may run; the job runs again']);
}, 90_000);

it('denied, the job is cancelled and the call never made', async () => {
  const home = makeHome();
  server = await serve();
  setUp(home, server);
  server.script([turn.toolUse({ name: 'notes__create_page', input: { title: 'Spam' } })]);
  h = new Harness(home);
  const held = await h.run('notes', invoice('oyo.pdf'));
  expect(held.status).toBe('waiting');
  const denied = denyJob(deps(h), held.id, 'not that');
  expect(denied).toMatchObject({ status: 'cancelled', reason: 'denied: not that' });
  expect(h.log(held.id, 'tool_result')).toEqual([]);
}, 60_000);
