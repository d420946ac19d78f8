/**
 * The service tests drive the real `dropwork` command (bin/dropwork.js, built by the global
 * set-up) in a temporary HOME, and read back what it wrote with independent readers: systemd's
 * own `systemd-analyze verify`, and the `plist` package for the LaunchAgent.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'dropwork.js');
/** Looks like a key to redact(), and is findable in any file it leaks into. */
export const KEY = 'sk-ant-api03-servicetest-0123456789abcdef';

export interface Machine {
  /** The temporary HOME. */
  root: string;
  /** DROPWORK_HOME, with a space, a % and a $ so that quoting mistakes show. */
  home: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

export function makeMachine(): Machine {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-svc-')));
  const home = path.join(root, 'drop work 100% $HOME');
  const runtime = path.join(root, 'run');
  fs.mkdirSync(runtime, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: root, DROPWORK_HOME: home, XDG_RUNTIME_DIR: runtime, ANTHROPIC_API_KEY: KEY };
  // No session bus and an empty runtime dir: systemctl --user finds no manager here, on any machine.
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.XDG_CONFIG_HOME;
  delete env.XDG_DATA_HOME;
  return { root, home, env, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A rule with plain steps, so the daemon these tests start needs no agent, key or sandbox. */
export function writeCopyRule(home: string): void {
  fs.mkdirSync(path.join(home, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(home, 'rules', 'copies.yaml'), 'name: copies\nwatch: inbox\noutput: outputs/copies\nactions:\n  - copy: "."\n');
}

/** Starts a program the way a service manager would and waits until `dropwork status` says it runs. */
export async function startLikeManager(argv: string[], env: NodeJS.ProcessEnv, cwd: string, statusEnv: NodeJS.ProcessEnv, stdio: ['ignore', number | 'ignore', number | 'pipe'] = ['ignore', 'ignore', 'pipe']): Promise<ChildProcess> {
  const [cmd, ...args] = argv as [string, ...string[]];
  const child = spawn(cmd, args, { env, cwd, stdio });
  let said = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { said += d; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await cli(['status', '--json'], statusEnv);
    if (s.code === 0 && (JSON.parse(s.stdout) as { running: boolean }).running) return child;
    if (child.exitCode !== null) throw new Error(`the service's program exited with ${child.exitCode}: ${said}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the service\'s program did not come up in 20 s');
    }
    await sleep(200);
  }
}

export function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}
