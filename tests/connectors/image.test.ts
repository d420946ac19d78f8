/**
 * A connector given as a container image, with real Docker: the sandbox image runs a small MCP
 * server written with Python's standard library (its code passed as an argument, nothing
 * mounted); the scripted model lists and calls its tools through the real SDK client; its
 * secret is in that container's environment only (masked in results, in no request to the
 * model, not in the history); the container is locked down and removed with the job; a crash
 * fails the call, not the daemon.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTOR_LABEL } from '../../src/connectors/container.js';
import { openConnectors } from '../../src/connectors/tools.js';
import { removeLeftoverContainers } from '../../src/sandbox/cleanup.js';
import { JOB_LABEL } from '../../src/sandbox/container.js';
import { listConnector } from '../../src/connectors/check.js';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config.js';
import { startHttpMcpServer } from '../support/mcp/http-server.js';
import { turn, type MessagesRequest, type MessagesServer } from '../support/messages-server.js';
import { Harness, KEY, baseConfig, invoice, makeHome, serve, writeRule, type Home } from '../agent/helpers.js';

const SERVER_PY = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'mcp', 'stdio-server.py'), 'utf8');
const SECRET = 'crm-secret-4b9e2a7c1d';
const crm = { image: 'dropwork-sandbox:latest', args: ['python3', '-I', '-c', SERVER_PY], env: ['CRM_TOKEN'], timeout_s: 20 };

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

function setUp(home: Home, s: MessagesServer, mcp: Record<string, unknown>, tools: string[]): void {
  baseConfig(home, s, { mcp });
  fs.writeFileSync(path.join(home.dir, 'credentials.env'), `ANTHROPIC_API_KEY=${KEY}\nCRM_TOKEN=${SECRET}\n`, { mode: 0o600 });
  writeRule(home, { name: 'crm', watch: 'inbox/crm', output: 'outputs/crm', do: 'Look the customer up.', tools });
}

/** Through the real config loader, so the defaults and checks apply. */
function loadConfigText(config: Record<string, unknown>): Config {
  const file = path.join(makeHome().dir, 'config.yaml');
  fs.writeFileSync(file, stringify(config));
  const loaded = loadConfig(file);
  expect(loaded.errors.map((e) => e.message)).toEqual([]);
  return loaded.config;
}

const lastResult = (req: MessagesRequest): string => JSON.stringify(req.body.messages.at(-1));
const ours = async (): Promise<Docker.ContainerInfo[]> => new Docker().listContainers({ all: true, filters: { label: [`${CONNECTOR_LABEL}=crm`] } });

describe('a connector given as an image', () => {
  it('carries its job\'s and daemon\'s labels, so the start after a crash removes what is left of it', async () => {
    const home = makeHome();
    const config = loadConfigText({ mcp: { crm } });
    fs.writeFileSync(path.join(home.dir, 'credentials.env'), `CRM_TOKEN=${SECRET}\n`, { mode: 0o600 });
    const open = await openConnectors({ name: 'crm', tools: ['crm'] }, { config, home: home.dir, hide: [home.dir], note: () => undefined, job: { dataDir: home.paths.dataDir, jobId: '77' } });
    try {
      const running = await ours();
      expect(running.map((c) => c.Labels[JOB_LABEL])).toEqual(['77']);
      // What a daemon does at start, before any job runs: its own leftovers go, the connector's too.
      expect(await removeLeftoverContainers(new Docker(), home.paths.dataDir)).toEqual(['77']);
      expect(await ours()).toEqual([]);
    } finally {
      await open.close();
    }
  });

  it('runs the server in a locked-down container, calls its tools, keeps its secret, and removes it with the job', async () => {
    const home = makeHome();
    server = await serve();
    setUp(home, server, { crm }, ['crm']);
    server.script([
      {
        ...turn.toolUse([{ name: 'crm__lookup', input: { name: 'Oyo' } }, { name: 'crm__echo_secret', input: {} }, { name: 'crm__inside', input: {} }]),
        expect: (req) => expect((req.body.tools ?? []).map((t) => (t as { name: string }).name)).toEqual(expect.arrayContaining(['crm__lookup', 'crm__echo_secret', 'crm__inside', 'crm__fetch', 'crm__crash'])),
      },
      {
        ...turn.text('Found.'),
        expect: (req) => {
          const result = lastResult(req);
          expect(result).toContain('customer found (token present)');
          expect(result).toContain('the token is …redacted');
          expect(result).toContain('/probe.txt: Read-only file system');
          expect(result).toContain('/tmp/probe.txt: written');
          expect(result).toMatch(/network: (Network is unreachable|.*unreachable)/);
          expect(result).toMatch(/uid: [1-9]/);
          expect(result).toContain('mounts: "'); // no host folder mounted (its list ends the text)
        },
      },
    ]);
    h = new Harness(home);
    const job = await h.run('crm', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(h.log(job.id, 'connector')[0]).toBe('crm: 5 tool(s) offered: lookup (read-only), echo_secret, inside, fetch, crash');
    expect(h.log(job.id, 'tool_call')).toEqual(['crm__lookup {"name":"Oyo"}', 'crm__echo_secret {}', 'crm__inside {}']);
    for (const r of server.requests) expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(JSON.stringify(h.store.logs(job.id))).not.toContain(SECRET);
    expect(await ours()).toEqual([]);
  }, 90_000);

  it('reaches the hosts its own allowlist names, through its own proxy mounted into its container, and nothing else', async () => {
    const home = makeHome();
    server = await serve();
    const allowed = await startHttpMcpServer();
    const other = await startHttpMcpServer();
    const port = (u: string): string => new URL(u).port;
    setUp(home, server, { crm: { ...crm, network: { allow: [`127.0.0.1:${port(allowed.url)}`] } } }, ['crm.fetch']);
    server.script([
      turn.toolUse([{ name: 'crm__fetch', input: { url: allowed.url } }, { name: 'crm__fetch', input: { url: other.url } }]),
      turn.text('Fetched.'),
    ]);
    h = new Harness(home);
    try {
      const job = await h.run('crm', invoice('oyo.pdf'));
      expect(job.status, job.reason ?? '').toBe('succeeded');
      const [reached, refused] = h.log(job.id, 'tool_result');
      expect(reached).toBe(`fetch ${allowed.url}: 405 Method Not Allowed`); // the MCP server answers a GET with 405: it was reached
      expect(refused).toContain(`fetch ${other.url}: `);
      expect(refused).toContain(`is not in this rule's network allowlist`);
      expect(other.calls).toEqual([]);
      expect(h.log(job.id, 'network')).toEqual(expect.arrayContaining([
        expect.stringMatching(new RegExp(`^allowed GET 127\\.0\\.0\\.1:${port(allowed.url)}`)),
        expect.stringMatching(new RegExp(`^blocked GET 127\\.0\\.0\\.1:${port(other.url)}: .*is not in this rule's network allowlist`)),
      ]));
      expect(await ours()).toEqual([]);
    } finally {
      await allowed.close();
      await other.close();
    }
  }, 90_000);

  it('a server that crashes fails that call with its last words; the job goes on', async () => {
    const home = makeHome();
    server = await serve();
    setUp(home, server, { crm }, ['crm']);
    server.script([
      turn.toolUse({ name: 'crm__crash', input: {} }),
      {
        ...turn.toolUse({ name: 'crm__lookup', input: { name: 'again' } }),
        expect: (req) => expect(lastResult(req)).toMatch(/the crm connector failed during the call: it stopped; its last words: crm server: out of cheese/),
      },
      { ...turn.text('Could not.'), expect: (req) => expect(lastResult(req)).toMatch(/the crm connector is not running: it stopped/) },
    ]);
    h = new Harness(home);
    const job = await h.run('crm', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(await ours()).toEqual([]);
  }, 90_000);

  it('doctor and rules check list its tools; an image Docker does not have is said so', async () => {
    const home = makeHome();
    fs.writeFileSync(path.join(home.dir, 'credentials.env'), `CRM_TOKEN=${SECRET}\n`, { mode: 0o600 });
    const config = loadConfigText({ mcp: { crm, ghost: { image: 'dropwork-no-such-image:0' } } });
    const listed = await listConnector('crm', config.mcp.crm!, home.dir);
    expect(listed.ok && listed.tools.map((t) => t.name)).toEqual(['lookup', 'echo_secret', 'inside', 'fetch', 'crash']);
    const ghost = await listConnector('ghost', config.mcp.ghost!, home.dir);
    expect(ghost).toEqual({ ok: false, why: expect.stringContaining('the image dropwork-no-such-image:0 is not on this computer\'s Docker') });
  }, 90_000);

  it('without Docker, the connector does not start and says so', async () => {
    const home = makeHome();
    fs.writeFileSync(path.join(home.dir, 'credentials.env'), `CRM_TOKEN=${SECRET}\n`, { mode: 0o600 });
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${path.join(home.dir, 'no-docker.sock')}`;
    try {
      const listed = await listConnector('crm', loadConfigText({ mcp: { crm } }).mcp.crm!, home.dir);
      expect(listed).toEqual({ ok: false, why: expect.stringContaining('Docker is not available') });
    } finally {
      if (before === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = before;
    }
  });
});
