import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../approve/helpers.js';
import { freePort, request, until } from './helpers.js';

const exec = promisify(execFile);
let root: string;
let daemon: ChildProcess | undefined;
let blocker: net.Server | undefined;

function env(port: number): NodeJS.ProcessEnv {
  return { ...process.env, HOME: root, DROPWORK_HOME: path.join(root, 'home'), DROPWORK_PORT: String(port), DROPWORK_NOTIFY: 'off' };
}

async function dropwork(port: number, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env: env(port) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

afterEach(async () => {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon?.once('exit', resolve));
    daemon.kill('SIGTERM');
    await exited;
  }
  daemon = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
  fs.rmSync(root, { recursive: true, force: true });
});

describe('dropwork ui', () => {
  it('--print-url prints the address with the token, and says when no daemon serves it', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-ui-'));
    const port = await freePort();
    const r = await dropwork(port, 'ui', '--print-url');
    const token = fs.readFileSync(path.join(root, 'home', 'ui-token'), 'utf8').trim();
    expect(r.stdout).toBe(`http://127.0.0.1:${port}/?token=${token}\n`);
    expect(fs.statSync(path.join(root, 'home', 'ui-token')).mode & 0o777).toBe(0o600);
    expect(r.stderr).toContain('dropwork is not running');
    expect(r.code).toBe(1);
    const open = await dropwork(port, 'ui');
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('start it with: dropwork start');
  });

  it('reports a dashboard that could not start (port taken) while the daemon runs on', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-ui-'));
    blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve((blocker?.address() as net.AddressInfo).port)));
    daemon = spawn(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), 'start'], { env: env(port), stdio: 'ignore' });
    const status = await until('the daemon', async () => {
      const s = await dropwork(port, 'status', '--json');
      const parsed = s.code === 0 ? (JSON.parse(s.stdout) as { running: boolean; plugins: Record<string, Record<string, unknown>> }) : undefined;
      return parsed?.running && parsed.plugins.dashboard ? parsed : undefined;
    }, 30_000);
    expect(status.plugins.dashboard?.error).toContain(`port ${port} is already in use`);
    const r = await dropwork(port, 'ui', '--print-url');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dropwork is running but its dashboard is not');
  });

  it('with the daemon up, prints the URL it serves and status shows the address without the token', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-ui-'));
    const port = await freePort();
    daemon = spawn(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), 'start'], { env: env(port), stdio: 'ignore' });
    const url = await until('the URL', async () => {
      const r = await dropwork(port, 'ui', '--print-url');
      return r.code === 0 ? r.stdout.trim() : undefined;
    }, 30_000);
    // As a browser opens a link the person typed or clicked in a terminal (`dropwork ui` does so).
    // (raw HTTP: fetch would send its own Sec-Fetch-Mode: cors, which is not a navigation).
    const signIn = new URL(url);
    const res = await request(port, 'GET', signIn.pathname + signIn.search, { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' });
    expect(res.status).toBe(303);
    const cookie = (res.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
    const jobs = await fetch(`http://127.0.0.1:${port}/api/jobs`, { headers: { Cookie: cookie } });
    expect(jobs.status).toBe(200);
    const s = await dropwork(port, 'status');
    expect(s.stdout).toContain(`dashboard: http://127.0.0.1:${port}/ (open it with: dropwork ui)`);
    expect(s.stdout).not.toContain(new URL(url).searchParams.get('token') as string);
  });
});
