/**
 * `dropwork doctor` as a person runs it (the built CLI), against real parts: a Messages API
 * server on 127.0.0.1 driven through the real SDK, a D-Bus session with dunst, a unit written
 * by `dropwork service install`, a daemon really running, and this machine's Docker.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { chooseSandbox } from '../../src/sandbox/sandbox.js';
import { startDesktopSession, type DesktopSession } from '../notify/desktop-session.js';
import { cli, makeMachine, startLikeManager, stopChild, writeCopyRule, BIN, type Machine } from '../service/helpers.js';
import { startMessagesServer, type MessagesServer } from '../support/messages-server.js';

const KEY = 'sk-ant-api03-doctortest-abcdef0123456789';

interface Report {
  ok: boolean;
  checks: { id: string; title: string; status: 'pass' | 'warn' | 'fail'; summary: string; fix?: string }[];
}

let desktop: DesktopSession;
let server: MessagesServer;
let m: Machine;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  desktop = await startDesktopSession();
  server = await startMessagesServer({ apiKey: KEY });
});
afterAll(async () => {
  await server.close();
  await desktop.close();
});
afterEach(async () => {
  if (daemon) await stopChild(daemon);
  daemon = undefined;
  m.remove();
});

/** A home with a plain rule and an agent rule (so the key matters), the key in credentials.env. */
function setUp(opts: { key?: string } = {}): NodeJS.ProcessEnv {
  m = makeMachine();
  writeCopyRule(m.home);
  fs.writeFileSync(path.join(m.home, 'rules', 'notes.yaml'), 'name: notes\nwatch: inbox/notes\noutput: outputs/notes\ndo: summarise it\n');
  fs.writeFileSync(path.join(m.home, 'credentials.env'), opts.key === undefined ? '' : `ANTHROPIC_API_KEY=${opts.key}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...m.env, ...desktop.env, ANTHROPIC_BASE_URL: server.url };
  delete env.ANTHROPIC_API_KEY;
  return env;
}

async function doctor(env: NodeJS.ProcessEnv): Promise<{ code: number | null; report: Report; text: string }> {
  const json = await cli(['doctor', '--json'], env);
  const text = await cli(['doctor'], env);
  expect(text.code, `--json said ${json.stdout}${json.stderr}\nthe text said ${text.stdout}${text.stderr}`).toBe(json.code);
  return { code: json.code, report: JSON.parse(json.stdout) as Report, text: text.stdout };
}

/** A port on 127.0.0.1 that nothing listens on: one the OS just handed out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const byId = (r: Report, id: string): Report['checks'][number] => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

describe('dropwork doctor', () => {
  it('passes every check on a machine that is set up, and exits 0', async () => {
    const env = setUp({ key: KEY });
    expect((await cli(['service', 'install', '--no-start'], env)).code).toBe(0);
    daemon = await startLikeManager([process.execPath, BIN, 'start'], env, m.home, env);
    const { code, report, text } = await doctor(env);

    expect(report.checks.map((c) => c.id)).toEqual(['node', 'database', 'rules', 'provider', 'api-key', 'sandbox', 'notifications', 'watch-limit', 'disk', 'undo', 'service']);
    for (const id of ['node', 'database', 'rules', 'provider', 'api-key', 'notifications', 'watch-limit', 'disk', 'undo', 'service']) {
      expect(byId(report, id), id).toMatchObject({ status: 'pass' });
    }
    // The sandbox line says what the sandbox module itself would choose here.
    const choice = await chooseSandbox(loadConfig(path.join(m.home, 'config.yaml')).config.sandbox);
    expect(byId(report, 'sandbox').status).toBe(choice.backend.kind === 'docker' ? 'pass' : 'warn');
    expect(byId(report, 'sandbox').summary).toContain(choice.reason);

    expect(byId(report, 'api-key').summary).toMatch(new RegExp(`^accepted by ${server.url.replace(/[.]/g, '\\.')} \\(from .*credentials\\.env; a token count for ${loadConfig(path.join(m.home, 'config.yaml')).config.model} came back: \\d+\\)$`));
    expect(byId(report, 'notifications').summary).toMatch(/^notify-send → dunst/);
    expect(byId(report, 'rules').summary).toBe('2 rule(s), all valid: copies, notes');
    expect(byId(report, 'service').summary).toMatch(new RegExp(`^installed \\(.*dropwork\\.service\\) and the daemon runs \\(pid ${daemon.pid}\\)`));
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(text).toMatch(/^✓ API key +accepted by /m);
    expect(text).toMatch(/\nAll good( \(1 warning\(s\)\))?\.\n$/);

    const counts = server.requests.filter((r) => r.path === '/v1/messages/count_tokens');
    expect(counts.length).toBe(2);
    const presented = counts[0]?.headers['x-api-key'] ?? counts[0]?.headers.authorization?.replace(/^Bearer /, '');
    expect(presented).toBe(KEY);
    expect(server.requests.some((r) => r.path === '/v1/messages')).toBe(false);
    expect(JSON.stringify(report) + text).not.toContain(KEY);
  });

  it('fails with what to do when the key is missing, the rules are broken, there is no desktop bus and no service', async () => {
    const env = setUp();
    fs.writeFileSync(path.join(m.home, 'rules', 'broken.yaml'), 'name: broken\nwatch: inbox/broken\nactions:\n  - copy: "."\n    move: "x"\n');
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const { code, report, text } = await doctor(env);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(byId(report, 'api-key')).toMatchObject({ status: 'fail', summary: expect.stringContaining('no API key') as unknown, fix: expect.stringContaining(`${m.home}/credentials.env`) as unknown });
    expect(byId(report, 'rules')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/broken\.yaml:\d+:\d+/) as unknown });
    expect(byId(report, 'notifications')).toMatchObject({ status: 'fail', fix: expect.stringContaining('notify: false') as unknown });
    // No systemd user session here (none on this machine; systemd-less on CI): no systemctl advice that fails the same way.
    const service = byId(report, 'service');
    expect(service).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^not installed, and the daemon is not running; no service can run here: /) as unknown });
    expect(service.fix).not.toContain('systemctl --user');
    expect(service.fix).toContain(fs.existsSync('/run/systemd/system') ? 'loginctl enable-linger' : 'dropwork start');
    expect(text).toMatch(/^✗ API key .*\n +→ add a line ANTHROPIC_API_KEY=sk-ant-\.\.\. to /m);
    expect(text.trim()).toMatch(/4 problem\(s\) to fix/);
  });

  it('says a wrong key is rejected and an unreachable provider cannot be reached, never showing the key', async () => {
    const wrong = 'sk-ant-api03-wrongkey-0000000000000000';
    const env = setUp({ key: wrong });
    const rejected = await doctor(env);
    expect(byId(rejected.report, 'api-key')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^rejected by .* \(HTTP 401; key from .*credentials\.env\)$/) as unknown });
    expect(JSON.stringify(rejected.report) + rejected.text).not.toContain(wrong);

    const port = await closedPort();
    const closed = await doctor({ ...env, ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` });
    expect(byId(closed.report, 'provider')).toMatchObject({ status: 'fail', summary: `http://127.0.0.1:${port} cannot be reached (connect ECONNREFUSED 127.0.0.1:${port}; from ANTHROPIC_BASE_URL)` });
    expect(byId(closed.report, 'api-key').status).toBe('fail');
  });

  it('warns instead of failing about the key when no rule needs the model', async () => {
    const env = setUp();
    fs.rmSync(path.join(m.home, 'rules', 'notes.yaml'));
    const { report } = await doctor(env);
    expect(byId(report, 'api-key')).toMatchObject({ status: 'warn', summary: expect.stringContaining('no rule needs one yet') as unknown });
  });
});
