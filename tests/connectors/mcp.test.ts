/**
 * Connectors through the real MCP SDK, end to end: a stdio server the tests build with the SDK's
 * server side (run confined by real bubblewrap) and a streamable-HTTP server on 127.0.0.1; the
 * scripted model (messages-server) sees their tools, calls them, and gets their results; the
 * calls are in the job's history; a server that crashes, hangs or sends garbage fails only that
 * call; the server's secret is in no request to the model and nowhere in the history.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesRequest, type MessagesServer } from '../support/messages-server.js';
import { startHttpMcpServer, type HttpMcpServer } from '../support/mcp/http-server.js';
import { Harness, KEY, baseConfig, invoice, makeHome, serve, writeRule, type Home } from '../agent/helpers.js';

const STDIO_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'mcp', 'stdio-server.mjs');
const SECRET = 'notes-secret-7f3a9c1d2e';

let server: MessagesServer | undefined;
let mail: HttpMcpServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  await mail?.close();
  h = undefined;
  server = undefined;
  mail = undefined;
});

function setUp(home: Home, s: MessagesServer, mcp: Record<string, unknown>, rule: Record<string, unknown> = {}): void {
  baseConfig(home, s, { mcp });
  fs.writeFileSync(path.join(home.dir, 'credentials.env'), `ANTHROPIC_API_KEY=${KEY}\nNOTES_TOKEN=${SECRET}\n`, { mode: 0o600 });
  writeRule(home, { name: 'notes', watch: 'inbox/notes', output: 'outputs/notes', do: 'File this in the notes.', ...rule });
}

const notes = { command: process.execPath, args: [STDIO_SERVER], env: ['NOTES_TOKEN'] };
const lastResult = (req: MessagesRequest): string => JSON.stringify(req.body.messages.at(-1));
const toolNames = (req: MessagesRequest): string[] => (req.body.tools ?? []).map((t) => (t as { name: string }).name);

/** Everything the job's history holds, as one string. */
function history(harness: Harness, id: number): string {
  return JSON.stringify(harness.store.logs(id));
}

describe('connectors', () => {
  it('offers a stdio server\'s tools with their schemas, calls them, and keeps its secret from the model and the history', async () => {
    const home = makeHome();
    server = await serve();
    setUp(home, server, { notes }, { tools: ['notes.search', 'notes.echo_secret'] });
    server.script([
      {
        ...turn.toolUse([{ name: 'notes__search', input: { query: 'oyo invoice' } }, { name: 'notes__echo_secret', input: {} }]),
        expect: (req) => {
          expect(toolNames(req)).toEqual(['list_files', 'read_file', 'write_file', 'notes__search', 'notes__echo_secret']);
          const search = (req.body.tools ?? []).find((t) => (t as { name: string }).name === 'notes__search') as { description: string; input_schema: { properties: Record<string, unknown>; required: string[] } };
          expect(search.description).toBe('[notes] Search the notes');
          expect(search.input_schema.properties).toEqual({ query: { type: 'string' } });
          expect(search.input_schema.required).toEqual(['query']);
        },
      },
      {
        ...turn.text('Filed.'),
        expect: (req) => {
          const result = lastResult(req);
          expect(result).toContain('found: oyo invoice (token present)');
          expect(result).toContain('the token is …redacted');
          expect(result).not.toContain(SECRET);
        },
      },
    ]);
    h = new Harness(home);
    const job = await h.run('notes', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(h.log(job.id, 'connector')).toEqual(['notes: 2 tool(s) offered: search (read-only), echo_secret']);
    expect(h.log(job.id, 'tool_call')).toEqual(['notes__search {"query":"oyo invoice"}', 'notes__echo_secret {}']);
    expect(h.log(job.id, 'tool_result')).toEqual(['found: oyo invoice (token present)', 'the token is …redacted']);
    for (const r of server.requests) expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(history(h, job.id)).not.toContain(SECRET);
  }, 60_000);

  it('offers a streamable-HTTP server\'s tools and calls them through the SDK', async () => {
    const home = makeHome();
    server = await serve();
    mail = await startHttpMcpServer();
    setUp(home, server, { mail: { url: mail.url } }, { tools: ['mail'] });
    server.script([
      { ...turn.toolUse({ name: 'mail__list_inbox', input: { limit: 5 } }), expect: (req) => expect(toolNames(req)).toEqual(expect.arrayContaining(['mail__list_inbox', 'mail__send'])) },
      { ...turn.toolUse({ name: 'mail__send', input: { to: 'a@example.org', body: 'filed' } }), expect: (req) => expect(lastResult(req)).toContain('inbox: 2 messages (invoice from Oyo, lunch)') },
      { ...turn.text('Done.'), expect: (req) => expect(lastResult(req)).toContain('sent to a@example.org') },
    ]);
    h = new Harness(home);
    const job = await h.run('notes', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(mail.calls).toEqual([{ tool: 'list_inbox', args: { limit: 5 } }, { tool: 'send', args: { to: 'a@example.org', body: 'filed' } }]);
    expect(h.log(job.id, 'tool_call')).toEqual(['mail__list_inbox {"limit":5}', 'mail__send {"to":"a@example.org","body":"filed"}']);
  }, 60_000);

  it.each([
    ['hang', /the notes connector did not answer within 1 s/, /found: again/],
    ['garbage', /the notes connector failed during the call: it sent something that is not MCP \(Unexpected token/, /the notes connector is not running: it sent something that is not MCP/],
    ['crash', /the notes connector failed during the call: it stopped; its last words: notes server: out of cheese/, /the notes connector is not running: it stopped/],
  ])('a server that does %s fails that call with a clear error; the job goes on', async (tool, message, next) => {
    const home = makeHome();
    server = await serve();
    setUp(home, server, { notes: { ...notes, timeout_s: 1 } }, { tools: ['notes'] });
    server.script([
      turn.toolUse({ name: `notes__${tool}`, input: {} }),
      {
        ...turn.toolUse({ name: 'notes__search', input: { query: 'again' } }),
        expect: (req) => {
          expect(lastResult(req)).toMatch(message);
          expect(lastResult(req)).toContain('"is_error":true');
        },
      },
      { ...turn.text('Could not file it.'), expect: (req) => expect(lastResult(req)).toMatch(next) },
    ]);
    h = new Harness(home);
    const job = await h.run('notes', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(h.log(job.id, 'tool_result')[0]).toMatch(message);
  }, 60_000);

  it('runs a stdio server confined: host files read-only, dropwork\'s home hidden, its own scratch folder, no network', async () => {
    const home = makeHome();
    server = await serve();
    setUp(home, server, { notes }, { tools: ['notes.probe'] });
    const outside = path.join(home.dir, 'user', 'planted.txt');
    const listener = await startHttpMcpServer(); // any service on 127.0.0.1 will do
    mail = listener;
    server.script([
      turn.toolUse({ name: 'notes__probe', input: { read: [path.join(home.dir, 'credentials.env'), '/etc/hostname'], write: [outside, '/etc/dropwork-probe', 'scratch.txt'], url: listener.url } }),
      turn.text('Probed.'),
    ]);
    h = new Harness(home);
    const job = await h.run('notes', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    const result = h.log(job.id, 'tool_result')[0] ?? '';
    expect(result).toContain(`read ${path.join(home.dir, 'credentials.env')}: ENOENT`);
    expect(result).toMatch(/read \/etc\/hostname: \S+/);
    expect(result).toMatch(new RegExp(`write ${outside.replace(/[.]/g, '\\.')}: (EROFS|ENOENT)`));
    expect(result).toContain('write /etc/dropwork-probe: EROFS');
    expect(result).toContain('write scratch.txt: ok');
    expect(result).toMatch(/fetch http:\/\/127\.0\.0\.1:\d+\/mcp: ECONNREFUSED/);
    expect(result).toMatch(/home \/tmp\/dropwork-mcp-notes-/);
    expect(result).not.toMatch(/env .*ANTHROPIC/);
    expect(fs.existsSync(outside)).toBe(false);
    expect(listener.calls).toEqual([]);
  }, 60_000);

  it('lets a stdio server reach the hosts its own allowlist names, through its own proxy, and nothing else', async () => {
    const home = makeHome();
    server = await serve();
    const allowed = await startHttpMcpServer();
    mail = await startHttpMcpServer();
    const other = mail;
    setUp(home, server, { notes: { ...notes, network: { allow: [`127.0.0.1:${new URL(allowed.url).port}`] } } }, { tools: ['notes.probe'] });
    server.script([
      turn.toolUse([
        { name: 'notes__probe', input: { read: [], write: [], url: allowed.url } },
        { name: 'notes__probe', input: { read: [], write: [], url: other.url } },
      ]),
      turn.text('Probed.'),
    ]);
    h = new Harness(home);
    try {
      const job = await h.run('notes', invoice('oyo.pdf'));
      expect(job.status, job.reason ?? '').toBe('succeeded');
      const [reached, refused] = h.log(job.id, 'tool_result');
      expect(reached).toContain(`fetch ${allowed.url}: 405`); // the MCP server answers a GET with 405: it was reached
      // Node's fetch tunnels even http:// through CONNECT; refused, it gets no answer from the host.
      expect(refused).toMatch(new RegExp(`fetch ${other.url.replace(/[.]/g, '\\.')}: (0|\\D)`));
      expect(other.calls).toEqual([]);
      // Each is recorded as it ends: the kept-alive allowed tunnel may end after the refusal.
      expect(h.log(job.id, 'network')).toHaveLength(2);
      expect(h.log(job.id, 'network')).toEqual(expect.arrayContaining([
        expect.stringMatching(new RegExp(`^allowed CONNECT 127\\.0\\.0\\.1:${new URL(allowed.url).port}: \\d+ bytes up`)),
        `blocked CONNECT 127.0.0.1:${new URL(other.url).port}: 127.0.0.1:${new URL(other.url).port} is not in this rule's network allowlist (it allows 127.0.0.1:${new URL(allowed.url).port}, not port ${new URL(other.url).port})`,
      ]));
    } finally {
      await allowed.close();
    }
  }, 60_000);

  it('fails the job with a clear reason when its rule names a connector config.yaml does not define', async () => {
    const home = makeHome();
    server = await serve();
    setUp(home, server, { notes }, { tools: ['nots'] });
    h = new Harness(home);
    const job = await h.run('notes', invoice('oyo.pdf'));
    expect(job.status).toBe('failed');
    expect(job.reason).toContain('rule "notes" names the connector "nots", which config.yaml\'s mcp: does not define (did you mean "notes"?)');
    expect(server.messageRequests()).toHaveLength(0);
  }, 60_000);
});
