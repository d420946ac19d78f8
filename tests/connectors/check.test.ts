/**
 * `dropwork rules check` and `dropwork doctor` on connectors, as a person runs them (the built
 * CLI): a rule naming an unknown connector or tool is refused at its `tools:` entry with the
 * likeliest meant name; a network grant is named; doctor lists each connector, reachable or
 * not, with the tools it offers. The servers are the real test MCP servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { cli, makeMachine, type Machine } from '../service/helpers.js';
import { startHttpMcpServer, type HttpMcpServer } from '../support/mcp/http-server.js';

const STDIO_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'mcp', 'stdio-server.mjs');

let m: Machine | undefined;
let mail: HttpMcpServer | undefined;
afterEach(async () => {
  m?.remove();
  await mail?.close();
  m = undefined;
  mail = undefined;
});

function setUp(rule: string, mcp: string): Machine {
  const machine = makeMachine();
  fs.mkdirSync(path.join(machine.home, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(machine.home, 'rules', 'notes.yaml'), rule);
  fs.writeFileSync(path.join(machine.home, 'config.yaml'), `notify: false\nmcp:\n${mcp}`);
  fs.writeFileSync(path.join(machine.home, 'credentials.env'), 'NOTES_TOKEN=notes-secret-0123456789\n', { mode: 0o600 });
  return machine;
}

const notesServer = `  notes:\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(STDIO_SERVER)}]\n    env: [NOTES_TOKEN]\n`;

it('rules check refuses an unknown connector and an unknown tool, located, with a suggestion; and names the network grant', async () => {
  m = setUp([
    'name: notes',
    'watch: inbox/notes',
    'do: File it.',
    'tools:',
    '  - notse',
    '  - notes.serch',
    '  - notes.create_page',
    'sandbox:',
    '  network: {allow: [api.notion.com]}',
    '',
  ].join('\n'), notesServer);
  const r = await cli(['rules', 'check'], m.env);
  const file = path.join(m.home, 'rules', 'notes.yaml');
  expect(r.stdout).toContain(`${file}:5:5 tools[0]: names the connector "notse", which config.yaml's mcp: does not define (did you mean "notes"?); connectors: notes`);
  expect(r.stdout).toContain(`${file}:6:5 tools[1]: names "serch", a tool the notes connector does not offer (did you mean "search"?); it offers: search, create_page, echo_secret, probe, crash, hang, garbage`);
  expect(r.stdout).not.toContain('tools[2]');
  expect(r.stdout).toContain('rule "notes": network: only api.notion.com');
  expect(r.stdout).toContain('2 problem(s)');
  expect(r.code).toBe(1);
}, 60_000);

it('rules check names network: true as everything, and a bad allowlist entry at its place', async () => {
  m = setUp('name: notes\nwatch: inbox/notes\ndo: File it.\nsandbox:\n  network: true\n', notesServer);
  const ok = await cli(['rules', 'check'], m.env);
  expect(ok.stdout).toContain('rule "notes": network: all (no allowlist: every host and port)');
  expect(ok.code).toBe(0);
  fs.writeFileSync(path.join(m.home, 'rules', 'notes.yaml'), 'name: notes\nwatch: inbox/notes\ndo: File it.\nsandbox:\n  network:\n    allow: ["https://api.notion.com/v1", "*"]\n');
  const bad = await cli(['rules', 'check'], m.env);
  expect(bad.stdout).toMatch(/notes\.yaml:6:\d+ sandbox\.network\.allow\[0\]: is a host name, not a URL: write "api\.notion\.com"/);
  expect(bad.stdout).toMatch(/notes\.yaml:6:\d+ sandbox\.network\.allow\[1\]: must name a host/);
  expect(bad.code).toBe(1);
}, 60_000);

it('doctor says when a program connector cannot be confined, and that its rules will not run it unconfined', async () => {
  m = setUp('name: notes\nwatch: inbox/notes\ndo: File it.\ntools: [notes]\n', notesServer);
  const r = await cli(['doctor', '--json'], { ...m.env, PATH: '/nonexistent' }); // no bwrap to be found
  const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; summary: string; fix?: string }[] };
  const check = report.checks.find((c) => c.id === 'connectors');
  expect(check?.summary).toContain('notes: cannot start');
  expect(check?.summary).toContain('bwrap is not installed (scripts/setup/bubblewrap.sh): connectors that are programs cannot run confined; rules naming it do not run (there is no unconfined fallback)');
  expect(check?.status).toBe('fail');
  expect(check?.fix).toContain('until then the jobs of rules naming it fail');
}, 60_000);

it('doctor lists each connector: reachable with its tools, or why not', async () => {
  mail = await startHttpMcpServer();
  m = setUp('name: notes\nwatch: inbox/notes\ndo: File it.\ntools: [notes.search, mail]\n', `${notesServer}  mail:\n    url: ${mail.url}\n  gone:\n    url: http://127.0.0.1:9/mcp\n`);
  const r = await cli(['doctor', '--json'], m.env);
  const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; summary: string; fix?: string }[] };
  const check = report.checks.find((c) => c.id === 'connectors');
  expect(check?.summary).toContain('notes: reachable');
  expect(check?.summary).toContain('7 tool(s): search (read-only), create_page, echo_secret, probe, crash, hang, garbage');
  expect(check?.summary).toContain(`mail: reachable, ${mail.url}; 2 tool(s): list_inbox (read-only), send`);
  expect(check?.summary).toMatch(/gone: cannot start \(http:\/\/127\.0\.0\.1:9\/mcp\): .*(ECONNREFUSED|fetch failed)/);
  expect(check?.status).toBe('warn'); // no rule names "gone"
}, 60_000);

it('doctor and rules check treat a connector given as an image like the others; without Docker they say so', async () => {
  const py = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'mcp', 'stdio-server.py'), 'utf8');
  const crm = `  crm:\n    image: dropwork-sandbox:latest\n    args: ["python3", "-I", "-c", ${JSON.stringify(py)}]\n`;
  m = setUp('name: notes\nwatch: inbox/notes\ndo: File it.\ntools: [crm.lokup]\n', crm);
  const checked = await cli(['rules', 'check'], m.env);
  expect(checked.stdout + checked.stderr).toContain(`${path.join(m.home, 'rules', 'notes.yaml')}:4:9 tools[0]: names "lokup", a tool the crm connector does not offer (did you mean "lookup"?)`);
  fs.writeFileSync(path.join(m.home, 'rules', 'notes.yaml'), 'name: notes\nwatch: inbox/notes\ndo: File it.\ntools: [crm.lookup]\n');
  const report = async (env: NodeJS.ProcessEnv): Promise<{ status: string; summary: string; fix?: string } | undefined> => {
    const r = await cli(['doctor', '--json'], env);
    return (JSON.parse(r.stdout) as { checks: { id: string; status: string; summary: string; fix?: string }[] }).checks.find((c) => c.id === 'connectors');
  };
  const up = await report(m.env);
  expect(up?.summary).toBe('crm: reachable, image dropwork-sandbox:latest (in a Docker container); 5 tool(s): lookup (read-only), echo_secret, inside, fetch, crash');
  const down = await report({ ...m.env, DOCKER_HOST: `unix://${path.join(m.home, 'no-docker.sock')}` });
  expect(down?.summary).toMatch(/^crm: cannot start \(image dropwork-sandbox:latest \(in a Docker container\)\): Docker is not available \(.*\): connectors given as an image run in a container/);
  expect(down?.status).toBe('fail');
}, 90_000);
