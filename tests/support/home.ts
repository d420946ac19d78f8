import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolvePaths, type Paths } from '../../src/paths.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'bin', 'dropwork.js');

/** A fresh dropwork home (and HOME) in a temp folder, with the given rule files and config. */
export interface TestHome {
  root: string;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  inbox(name: string): string;
  output(name: string): string;
  writeRule(file: string, yaml: string): string;
  cleanup(): void;
}

export function makeHome(opts: { rules?: Record<string, string>; config?: string } = {}): TestHome {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-test-'));
  const home = path.join(root, 'home');
  const userHome = path.join(root, 'user');
  fs.mkdirSync(path.join(home, 'rules'), { recursive: true });
  fs.mkdirSync(userHome, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DROPWORK_HOME: home,
    HOME: userHome,
    XDG_DATA_HOME: path.join(userHome, '.local', 'share'),
    DROPWORK_NOTIFY: 'off',
    // Any free port: many daemons run side by side in the suite.
    DROPWORK_PORT: '0',
    ANTHROPIC_API_KEY: '',
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), opts.config ?? 'settle_ms: 150\nretry_base_ms: 50\nretry_max_ms: 200\n');
  const paths = resolvePaths(env);
  const th: TestHome = {
    root,
    paths,
    env,
    inbox: (name) => path.join(home, 'inbox', name),
    output: (name) => path.join(home, 'outputs', name),
    writeRule: (file, yaml) => {
      const p = path.join(home, 'rules', file);
      fs.writeFileSync(p, yaml);
      return p;
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
  for (const [file, yaml] of Object.entries(opts.rules ?? {})) th.writeRule(file, yaml);
  return th;
}

/** Runs the real CLI and returns its exit code and output. */
export async function cli(home: TestHome, args: string[], input?: { cwd?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: home.env, cwd: input?.cwd ?? home.root, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Starts `dropwork start` as its own process, resolved once it says it is running. */
export async function spawnDaemon(home: TestHome): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  await waitFor(() => out.includes('dropwork is running') || child.exitCode !== null, 30_000);
  if (child.exitCode !== null) throw new Error(`daemon exited: ${out}`);
  return Object.assign(child, { output: () => out });
}

export async function waitFor(check: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
