/**
 * The dashboard as the browser tests meet it: a home in a temp folder, the real daemon
 * (`dropwork start`) serving it on a free port, and Debian's Chromium to drive it with
 * playwright-core. The daemon is a separate process, so it is stopped with SIGTERM, as a user would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../approve/helpers.js';
import { freePort, until } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO, '.test-artifacts', 'web');
/** Headless, no first-run or background traffic, so a page load is all the browser does. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const exec = promisify(execFile);

export interface DaemonHome {
  /** The temp folder; HOME points here, so the trash is inside it. */
  root: string;
  /** DROPWORK_HOME. */
  home: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** What `dropwork ui --print-url` printed once the dashboard answered. */
  printed: string;
  /** The daemon's output so far; tests append the pages' script errors to it. */
  log: string;
  /** The built `dropwork` command against this home: its stdout, or a rejection if it fails. */
  dropwork(...args: string[]): Promise<string>;
  /** Stops the daemon and removes the temp folder. */
  stop(): Promise<void>;
}

/** Makes the home (rules, inbox folders, config), starts the daemon and waits for its dashboard. */
export async function startDaemon(opts: { prefix: string; rules: string; inboxes: string[]; config: string; env?: NodeJS.ProcessEnv }): Promise<DaemonHome> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`the browser tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium; scripts/setup/packages.txt lists it)`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  const home = path.join(root, 'home');
  fs.mkdirSync(path.join(home, 'rules'), { recursive: true });
  for (const d of opts.inboxes) fs.mkdirSync(path.join(home, d), { recursive: true });
  fs.writeFileSync(path.join(home, 'rules', 'rules.yaml'), opts.rules);
  fs.writeFileSync(path.join(home, 'config.yaml'), opts.config);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: root, DROPWORK_HOME: home, DROPWORK_PORT: String(port), DROPWORK_NOTIFY: 'off', XDG_DATA_HOME: '', ...opts.env };
  const dropwork = async (...args: string[]): Promise<string> => (await exec(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env })).stdout;

  const daemon: ChildProcess = spawn(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: DaemonHome = {
    root, home, port, base: `http://127.0.0.1:${port}`, printed: '', log: '', dropwork,
    stop: async () => {
      if (daemon.exitCode === null) {
        const exited = new Promise((resolve) => daemon.once('exit', resolve));
        daemon.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  daemon.stdout?.on('data', (c: Buffer) => { running.log += c.toString(); });
  daemon.stderr?.on('data', (c: Buffer) => { running.log += c.toString(); });
  try {
    running.printed = await until('the dashboard URL', async () => {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited:\n${running.log}`);
      return dropwork('ui', '--print-url').then((out) => out.trim(), () => undefined);
    }, 30_000);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}
