/**
 * The bubblewrap backend, for Linux without Docker: each command in a fresh set of
 * namespaces (no network, own pids, own /tmp) that sees the system folders read-only
 * and the job's workspace, with limits set by prlimit and a timeout.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SandboxError, errorMessage } from '../errors.js';
import { SANDBOX_ENV, sandboxUser } from './image.js';
import { PROXY_ENV, SOCKET_DIR_INSIDE, forwardedArgv } from './egress/forwarder.js';
import { JobEgress } from './egress/job.js';
import { defaultLimits, formatBytes } from './limits.js';
import { handOver } from './output.js';
import { NO_FORK_WORDS, NO_MEMORY_WORDS, supervise, type Started } from './supervise.js';
import { CommandQueue } from './queue.js';
import type { CommandResult, RunOptions, Sandbox, SandboxBackend, SandboxOptions } from './sandbox.js';

/** Absolute paths of the tools a command goes through (spawned with an empty environment). */
export interface BwrapFeatures { bwrap: string; setpriv: string; unshare: string; mount: string; disableUserns: boolean }

/** The few files of the host's /etc that programs need; the rest (hostnames, keys, configs) stays unseen. */
const ETC = /^(ld\.so\.(cache|conf|conf\.d)|alternatives|fonts|localtime|mime\.types|nsswitch\.conf|ssl|ca-certificates|python3(\.\d+)?)$/;
const ETC_NETWORK = ['resolv.conf', 'hosts', 'gai.conf', 'host.conf'];

export async function probeBubblewrap(): Promise<{ ok: true; features: BwrapFeatures } | { ok: false; why: string }> {
  const find = async (name: string): Promise<string | undefined> => {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
      const p = path.join(dir, name);
      if (await fs.access(p, fs.constants.X_OK).then(() => true, () => false)) return p;
    }
    return undefined;
  };
  const [bwrap, setpriv, unshare, mount] = await Promise.all(['bwrap', 'setpriv', 'unshare', 'mount'].map(find));
  if (!bwrap) return { ok: false, why: 'bwrap is not installed (scripts/setup/bubblewrap.sh)' };
  if (process.getuid?.() === 0 && !(setpriv && unshare && mount)) return { ok: false, why: 'bubblewrap as root needs setpriv, unshare and mount (util-linux)' };
  const help = await capture(bwrap, ['--help']);
  const features: BwrapFeatures = { bwrap, setpriv: setpriv ?? '', unshare: unshare ?? '', mount: mount ?? '', disableUserns: help.includes('--disable-userns') };
  // The real thing on a throwaway workspace: proves user namespaces, prlimit and timeout work here.
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-probe-'));
  try {
    await Promise.all([fs.mkdir(path.join(root, 'input')), fs.mkdir(path.join(root, 'output'))]);
    const ws = { root, input: path.join(root, 'input'), output: path.join(root, 'output') };
    const sandbox = await new BubblewrapBackend(features).open({ jobId: 'probe', workspace: ws, network: false, limits: defaultLimits });
    const r = await sandbox.run('echo ok', { timeoutMs: 10_000 }).finally(() => sandbox.close());
    if (r.stdout.trim() !== 'ok') return { ok: false, why: `bwrap cannot make a sandbox here: ${r.stderr.trim() || `exit ${r.exitCode}`}` };
  } catch (err) {
    return { ok: false, why: `bwrap cannot make a sandbox here: ${errorMessage(err)}` };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  return { ok: true, features };
}

export class BubblewrapBackend implements SandboxBackend {
  readonly kind = 'bubblewrap';
  constructor(readonly features: BwrapFeatures) {}

  async open(opts: SandboxOptions): Promise<Sandbox> {
    // The job's /tmp lives here between commands (as a container's would), counted against the write cap.
    const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-bwrap-'));
    await fs.chmod(stage, 0o755);
    await fs.mkdir(path.join(stage, 'tmp'), { mode: 0o700 }); // the job's scratch is no other host user's to read
    await Promise.all(['input', 'output'].map((d) => fs.mkdir(path.join(stage, d)))); // mount points, when root
    const user = sandboxUser();
    if (process.getuid?.() === 0) {
      await Promise.all([path.join(stage, 'tmp'), opts.workspace.input, opts.workspace.output].map((d) => handOver(d, user.uid, user.gid)));
    }
    return new BubblewrapSandbox(this.features, stage, opts);
  }
}

class BubblewrapSandbox implements Sandbox {
  readonly kind = 'bubblewrap';
  private readonly queue = new CommandQueue();
  private running: number | undefined;
  private closed = false;
  private readonly openedAt = performance.now();
  /** The job's egress proxy, when its rule has an allowlist. */
  private egress: Promise<JobEgress> | undefined;

  constructor(private readonly features: BwrapFeatures, private readonly stage: string, private readonly opts: SandboxOptions) {}

  run(command: string, runOpts?: RunOptions): Promise<CommandResult> {
    return this.queue.add(() => this.runNow(command, runOpts));
  }

  private async runNow(command: string, runOpts?: RunOptions): Promise<CommandResult> {
    if (this.closed) throw new SandboxError('the sandbox of this job is closed');
    const { limits, workspace } = this.opts;
    const user = sandboxUser();
    if (process.getuid?.() === 0) await handOver(workspace.output, user.uid, user.gid);
    const { network, onConnection } = this.opts;
    const egress = typeof network === 'object' ? await (this.egress ??= JobEgress.open({ allow: network.allow, onConnection, owner: user })) : undefined;
    const result = await supervise({
      limits,
      writable: [workspace.output, path.join(this.stage, 'tmp')],
      openedAt: this.openedAt,
      start: async (timeoutMs, stdout, stderr): Promise<Started> => {
        const argv = await this.argv(command, timeoutMs, egress?.dir);
        // detached: its own process group, so a kill reaches bwrap; --die-with-parent takes the rest.
        const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: {} });
        this.running = child.pid;
        child.stdout.on('data', (c: Buffer) => stdout.write(c));
        child.stderr.on('data', (c: Buffer) => stderr.write(c));
        const done = new Promise<{ exitCode: number | null }>((resolve) => {
          child.on('error', (err) => { stderr.write(Buffer.from(String(err))); resolve({ exitCode: null }); });
          child.on('close', (code) => { this.running = undefined; resolve({ exitCode: code }); });
        });
        return { done };
      },
      kill: async () => this.kill(),
      // No cgroup of our own here: the program's own words are the best evidence.
      explain: async (_exitCode, text) => {
        if (NO_MEMORY_WORDS.test(text)) return `out of memory (limit ${formatBytes(limits.memoryBytes)} per process)`;
        if (NO_FORK_WORDS.test(text)) return `process limit of ${limits.pids} reached`;
        return undefined;
      },
    }, runOpts);
    const blocked = egress?.takeBlocked() ?? [];
    return blocked.length ? { ...result, network: blocked } : result;
  }

  private kill(): void {
    if (this.running !== undefined) {
      try { process.kill(-this.running, 'SIGKILL'); } catch { /* already gone */ }
    }
  }

  /** `egressDir`: the job's proxy socket folder (an allowlist): no network but the forwarder to it. */
  private async argv(command: string, timeoutMs: number, egressDir?: string): Promise<string[]> {
    const { workspace, limits } = this.opts;
    const network = this.opts.network === true;
    const f = this.features;
    const root = process.getuid?.() === 0;
    // As root, bwrap would map the sandbox to host uid 0, for which the kernel ignores the
    // process limit. So root drops to the sandbox uid first; since that uid may not reach the
    // job's folders (under a 0700 home), they are bind-mounted into the stage, in a mount
    // namespace of this command's own that vanishes with it.
    const src = root ? { input: path.join(this.stage, 'input'), output: path.join(this.stage, 'output') } : workspace;
    const args = ['--unshare-all', '--unshare-user', ...(f.disableUserns ? ['--disable-userns'] : []), ...(network ? ['--share-net'] : []),
      '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'sandbox'];
    for (const dir of ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
      const st = await fs.lstat(dir).catch(() => undefined);
      if (st?.isSymbolicLink()) args.push('--symlink', await fs.readlink(dir), dir);
      else if (st?.isDirectory()) args.push('--ro-bind', dir, dir);
    }
    const etc = (await fs.readdir('/etc')).filter((name) => ETC.test(name) || (network && ETC_NETWORK.includes(name)));
    for (const name of etc) args.push('--ro-bind', `/etc/${name}`, `/etc/${name}`);
    args.push('--proc', '/proc', '--dev', '/dev', '--bind', path.join(this.stage, 'tmp'), '/tmp',
      '--dir', '/workspace', '--ro-bind', src.input, '/workspace/input', '--bind', src.output, '/workspace/output', '--chdir', '/workspace', '--clearenv');
    if (egressDir) args.push('--ro-bind', egressDir, SOCKET_DIR_INSIDE);
    for (const kv of egressDir ? [...SANDBOX_ENV, ...PROXY_ENV] : SANDBOX_ENV) args.push('--setenv', kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
    args.push('--', 'prlimit', `--as=${limits.memoryBytes}`, `--nproc=${limits.pids}`, `--fsize=${limits.writeCapBytes + 1}`, '--nofile=1024', '--core=0',
      '--', 'timeout', '-k', '2', (timeoutMs / 1000).toFixed(3), ...(egressDir ? forwardedArgv(['sh', '-c', command]) : ['sh', '-c', command]));
    if (!root) return [f.bwrap, ...args];
    const user = sandboxUser();
    return [f.unshare, '--mount', '--propagation', 'private', '--', '/bin/sh', '-c',
      'set -e; "$1" --bind "$2" "$4/input"; "$1" --bind "$3" "$4/output"; shift 4; exec "$@"',
      'sh', f.mount, workspace.input, workspace.output, this.stage,
      f.setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', f.bwrap, ...args];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.kill();
    await this.egress?.then((e) => e.close(), () => undefined);
    await fs.rm(this.stage, { recursive: true, force: true });
  }
}

function capture(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', () => resolve(''));
    child.on('close', () => resolve(out));
  });
}
