/**
 * The README's quick start, run as written by a newcomer in a fresh clone: first with the
 * machine's own Node 20 first on PATH, where it must stop before anything compiles with one
 * sentence saying how to get Node 24, and leave no npx cache behind; then, after
 * `source scripts/setup/node.sh` (as that sentence says), it must end in a daemon watching its
 * inboxes, which stops on Ctrl-C with no process left.
 *
 * The Node 20 run is the real command with a real `npm ci` (from npm's cache: it stops once the
 * packages are unpacked, about a minute). The Node 24 run installs nothing by default: the
 * clone borrows this checkout's node_modules (a link) and dist/, and runs the rest of the
 * command (`npm start`), because a real `npm ci` there compiles better-sqlite3 and takes
 * minutes. DROPWORK_QUICKSTART_FULL=1 runs the whole command under Node 24 too.
 *
 * npm's cache is a folder of this test's own whose `_cacache` is the machine's (packages come
 * from there), so npx's cache (`_npx`) is this test's to check and nobody else's is touched.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, exitOf, waitFor } from './support/home.js';

const FULL = process.env.DROPWORK_QUICKSTART_FULL === '1';

/** The one command of the README's quick start. */
function quickStart(): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 5));
  const block = /```sh\n([^`]+)```/.exec(section)?.[1]?.trim() ?? '';
  return block;
}

const nodeVersion = (node: string): number[] => execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);

/** A node older than 22 on this machine's PATH (not node.sh's), as `which -a node` lists them. */
function oldNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const node = path.join(dir, 'node');
    try {
      fs.accessSync(node, fs.constants.X_OK);
      if ((nodeVersion(node)[0] ?? 99) < 22) return node;
    } catch {
      /* no node here */
    }
  }
  return undefined;
}

const OLD = oldNode();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-quickstart-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A clone of this checkout, with the working tree's edits and new files laid over it. */
function cloneHere(): string {
  const clone = path.join(tmp, 'dropwork');
  execFileSync('git', ['clone', '-q', REPO, clone]);
  const git = (...args: string[]): string[] => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of git('ls-files', '-z', '-c', '-o', '--exclude-standard')) {
    if (f === 'node_modules' || f.startsWith('node_modules/') || f.startsWith('dist/')) continue;
    const from = path.join(REPO, f);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.cpSync(from, path.join(clone, f));
  }
  for (const f of git('ls-files', '-z', '-d')) fs.rmSync(path.join(clone, f), { force: true });
  return clone;
}

/** A newcomer's environment: their HOME, PATH and nothing of this test run's npm or dropwork settings. */
function newcomer(pathDirs: string[], npmCache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|DROPWORK_|VITEST|ANTHROPIC_|NODE_)/i.test(k) || ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'INIT_CWD'].includes(k)) continue;
    env[k] = v;
  }
  const home = path.join(tmp, 'home', 'ada');
  fs.mkdirSync(home, { recursive: true });
  return {
    ...env,
    PATH: pathDirs.join(path.delimiter),
    HOME: home,
    // node.sh keeps Node 24 under $XDG_CACHE_HOME: the machine's, so it is not fetched again.
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    npm_config_cache: npmCache,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    // Not the README's: many dashboards run side by side in the suite, and no desktop here.
    DROPWORK_PORT: '0',
    DROPWORK_NOTIFY: 'off',
  };
}

/** Runs a shell command as a terminal would, in its own process group; `exit` resolves with code and output. */
function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): { child: ReturnType<typeof spawn>; output: () => string; exit: Promise<number | null> } {
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  return { child, output: () => out, exit: exitOf(child) };
}

/** Whether any process of the group is left. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the README quick start, run as written', () => {
  it.skipIf(OLD === undefined)(`under the machine's Node 20 (${OLD ?? 'none here'}) stops with one sentence before compiling; under Node 24 ends in a watching daemon`, async () => {
    const command = quickStart();
    expect(command).toBe('npm ci && npm start');
    const clone = cloneHere();
    const npmCache = path.join(tmp, 'npm-cache');
    fs.mkdirSync(npmCache);
    const machineCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
    fs.symlinkSync(path.join(machineCache, '_cacache'), path.join(npmCache, '_cacache'));

    // Node 20 first, and no other node on PATH: what `which -a node` shows without node.sh.
    const oldDir = path.dirname(OLD as string);
    const withoutNewNodes = (process.env.PATH ?? '').split(path.delimiter).filter((d) => {
      const node = path.join(d, 'node');
      return !fs.existsSync(node) || fs.realpathSync(node) === fs.realpathSync(OLD as string);
    });
    const env20 = newcomer([oldDir, ...withoutNewNodes.filter((d) => d !== oldDir)], npmCache);
    const started20 = Date.now();
    const first = shell(command, clone, env20);
    const code20 = await first.exit;
    const seconds20 = (Date.now() - started20) / 1000;
    const lines = first.output().trim().split('\n');
    expect(code20, first.output()).not.toBe(0);
    const sentence = /dropwork needs Node\.js 22\.22 or newer and this is Node\.js 2\d\.\d+\.\d+ \(.+\): run `source scripts\/setup\/node\.sh` to put Node\.js 24 first on PATH in this shell \(or install Node\.js 24 from https:\/\/nodejs\.org\), then run the same command again\./;
    // The sentence closes npm's report (only the pointer to npm's log follows it).
    expect(lines.slice(-2).join('\n'), first.output()).toMatch(sentence);
    expect(first.output()).not.toMatch(/gyp|network connectivity|npm i -g/i);
    expect(first.output()).not.toContain('> dropwork@0.1.0 start');
    // Nothing compiled, nothing in npx's cache, no home made: nothing to clean up by hand.
    expect(fs.existsSync(path.join(clone, 'node_modules', 'better-sqlite3', 'build'))).toBe(false);
    expect(fs.existsSync(path.join(npmCache, '_npx'))).toBe(false);
    expect(fs.existsSync(path.join(env20.HOME as string, 'dropwork'))).toBe(false);

    // As the sentence says: Node 24 first on PATH, then the same command.
    let then = `source scripts/setup/node.sh && ${command}`;
    if (!FULL) {
      fs.rmSync(path.join(clone, 'node_modules'), { recursive: true, force: true });
      fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules')), path.join(clone, 'node_modules'));
      fs.cpSync(path.join(REPO, 'dist'), path.join(clone, 'dist'), { recursive: true });
      then = `source scripts/setup/node.sh && ${command.replace(/^npm ci && /, '')}`;
    }
    const started24 = Date.now();
    const second = shell(then, clone, env20);
    const pgid = second.child.pid as number;
    try {
      await waitFor(() => second.output().includes('dropwork is running') || second.child.exitCode !== null, FULL ? 600_000 : 120_000, 'the daemon to start');
      expect(second.output()).toContain('dropwork is running');
      const home = env20.HOME as string;
      expect(second.output()).toContain(`drop files into ${path.join(home, 'dropwork', 'inbox', 'sort')}`);
      expect(second.output()).toMatch(/node\.sh: using Node\.js v2[2-9]\./);
      // Watching: a file dropped into the sort inbox is sorted into outputs/sorted/<year>/<month>/.
      fs.writeFileSync(path.join(home, 'dropwork', 'inbox', 'sort', 'holiday.jpg'), 'jpeg');
      const now = new Date();
      const sorted = path.join(home, 'dropwork', 'outputs', 'sorted', String(now.getFullYear()), String(now.getMonth() + 1).padStart(2, '0'), 'holiday.jpg');
      await waitFor(() => fs.existsSync(sorted), 30_000, 'the dropped file to be sorted');
    } finally {
      // Ctrl-C, as a terminal sends it: to the whole foreground group (bash, npm, node).
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGINT');
      await second.exit;
      await waitFor(() => !groupAlive(pgid), 30_000, 'every process of the quick start to end');
    }
    expect(second.output()).toContain('stopped');
    expect(fs.existsSync(path.join(npmCache, '_npx'))).toBe(false);
    console.log(`quick start: Node 20 run ${seconds20.toFixed(0)} s, Node 24 run ${((Date.now() - started24) / 1000).toFixed(0)} s${FULL ? ' (with npm ci)' : ' (borrowed node_modules)'}`);
  }, FULL ? 1_200_000 : 360_000);
});
