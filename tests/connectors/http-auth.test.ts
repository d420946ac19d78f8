/**
 * A streamable-HTTP connector with a secret in its headers (`headers: {Authorization: "Bearer
 * ${CRM_TOKEN}"}`): an SDK server on 127.0.0.1 that refuses every request without the header;
 * the secret is read from credentials.env by name, sent in the header only, and masked in what
 * the model sees, the job's history and doctor's words.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { listConnector } from '../../src/connectors/check.js';
import { loadConfig } from '../../src/config.js';
import { turn, type MessagesRequest, type MessagesServer } from '../support/messages-server.js';
import { startHttpMcpServer } from '../support/mcp/http-server.js';
import { Harness, KEY, baseConfig, invoice, makeHome, serve, writeRule } from '../agent/helpers.js';

const SECRET = 'crm-bearer-8d1f0e6a5b';
let server: MessagesServer | undefined;
let crm: Awaited<ReturnType<typeof startHttpMcpServer>> | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  await crm?.close();
  h = undefined;
  server = undefined;
  crm = undefined;
});

const lastResult = (req: MessagesRequest): string => JSON.stringify(req.body.messages.at(-1));

describe('a streamable-HTTP connector with a secret header', () => {
  it('sends the secret from credentials.env in the header only, and masks it everywhere else', async () => {
    const home = makeHome();
    server = await serve();
    crm = await startHttpMcpServer({ token: SECRET });
    baseConfig(home, server, { mcp: { crm: { url: crm.url, headers: { Authorization: 'Bearer ${CRM_TOKEN}' } } } });
    fs.writeFileSync(path.join(home.dir, 'credentials.env'), `ANTHROPIC_API_KEY=${KEY}\nCRM_TOKEN=${SECRET}\n`, { mode: 0o600 });
    writeRule(home, { name: 'crm', watch: 'inbox/crm', output: 'outputs/crm', do: 'Check the inbox.', tools: ['crm'] });
    server.script([
      turn.toolUse([{ name: 'crm__list_inbox', input: {} }, { name: 'crm__whoami', input: {} }]),
      {
        ...turn.text('Done.'),
        expect: (req) => {
          expect(lastResult(req)).toContain('inbox: 2 messages');
          expect(lastResult(req)).toContain('called with Bearer …redacted');
        },
      },
    ]);
    h = new Harness(home);
    const job = await h.run('crm', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(crm.refused).toBe(0);
    expect(crm.calls).toEqual([{ tool: 'list_inbox', args: {} }]);
    for (const r of server.requests) expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(JSON.stringify(h.store.logs(job.id))).not.toContain(SECRET);
  }, 60_000);

  it('without the secret the server refuses, and doctor says why without showing the header', async () => {
    const home = makeHome();
    crm = await startHttpMcpServer({ token: SECRET });
    const file = path.join(home.dir, 'config.yaml');
    fs.writeFileSync(file, stringify({ mcp: { crm: { url: crm.url, headers: { Authorization: 'Bearer ${CRM_TOKEN}' } } } }));
    const { config, errors } = loadConfig(file);
    expect(errors).toEqual([]);
    expect(config.mcp.crm?.env).toEqual(['CRM_TOKEN']);
    expect(await listConnector('crm', config.mcp.crm!, home.dir)).toEqual({ ok: false, why: 'CRM_TOKEN is not in credentials.env' });
    fs.writeFileSync(path.join(home.dir, 'credentials.env'), 'CRM_TOKEN=not-the-token\n', { mode: 0o600 });
    const wrong = await listConnector('crm', config.mcp.crm!, home.dir);
    expect(wrong.ok).toBe(false);
    expect(JSON.stringify(wrong)).toContain('missing or wrong bearer token');
    expect(JSON.stringify(wrong)).not.toContain('not-the-token');
    expect(crm.refused).toBeGreaterThan(0);
    fs.writeFileSync(path.join(home.dir, 'credentials.env'), `CRM_TOKEN=${SECRET}\n`, { mode: 0o600 });
    const right = await listConnector('crm', config.mcp.crm!, home.dir);
    expect(right.ok && right.tools.map((t) => t.name)).toEqual(['whoami', 'list_inbox', 'send']);
  }, 60_000);
});
