/**
 * A stdio connector is a program on this computer (`npx some-server`, a Python script) that
 * reads what the model sends it. It runs confined the way Anthropic's sandbox-runtime does on
 * Linux, with bubblewrap: the host's files read-only, a scratch folder of its own writable,
 * no network (its own empty namespace) but the hosts its `network: {allow}` names, through an
 * egress proxy of its own. dropwork's home (credentials.env, the queue) and /run (the Docker
 * socket, other daemons' sockets) are hidden; its environment is PATH, HOME and the secrets
 * it names, nothing else of the daemon's. Where bubblewrap cannot run, the connector does not
 * start: there is no unconfined fallback.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UnrecoverableError } from '../errors.js';
import { PROXY_ENV, SOCKET_DIR_INSIDE, forwardedArgv } from '../sandbox/egress/forwarder.js';

export interface Confined {
  command: string;
  args: string[];
  env: Record<string, string>;
}

let probed: { bwrap: string } | { why: string } | undefined;

/** Can bubblewrap confine a connector here? Tried once per process, with a real sandbox. */
export function probeConfinement(): { ok: true; bwrap: string } | { ok: false; why: string } {
  probed ??= (() => {
    if (process.platform !== 'linux') return { why: `connectors that are programs need bubblewrap, which needs Linux (this is ${process.platform})` };
    const bwrap = (process.env.PATH ?? '/usr/bin:/bin').split(':').map((d) => path.join(d, 'bwrap')).find((p) => fs.existsSync(p));
    if (!bwrap) return { why: 'bwrap is not installed (scripts/setup/bubblewrap.sh): connectors that are programs cannot run confined' };
    const r = spawnSync(bwrap, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return { why: `bwrap cannot make a sandbox here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
    return { bwrap };
  })();
  return 'bwrap' in probed ? { ok: true, bwrap: probed.bwrap } : { ok: false, why: probed.why };
}

export interface ConfineOptions {
  command: string;
  args: string[];
  /** The secrets it names, by name. */
  secrets: Record<string, string>;
  /** Its own writable folder (HOME, TMPDIR, working folder). */
  scratch: string;
  /** Folders to hide behind an empty one (dropwork's home). */
  hide: string[];
  /** The folder of its egress proxy's socket, when it has a network allowlist. */
  egressDir?: string | undefined;
}

export function confine(opts: ConfineOptions): Confined {
  const probe = probeConfinement();
  if (!probe.ok) throw new UnrecoverableError(`cannot run the connector confined: ${probe.why}`);
  const searchPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run'];
  // A program that lives under /tmp or /run (a checkout in /tmp, say) is put back, read-only,
  // with its package around it (its node_modules), over the emptied folders.
  for (const dir of programFolders([opts.command, ...opts.args])) args.push('--ro-bind', dir, dir);
  for (const dir of opts.hide) if (fs.existsSync(dir)) args.push('--tmpfs', dir);
  args.push('--bind', opts.scratch, opts.scratch, '--chdir', opts.scratch);
  if (opts.egressDir) args.push('--ro-bind', opts.egressDir, SOCKET_DIR_INSIDE);
  // The whole environment, secrets included, is bwrap's own (never its argv, which `ps` shows);
  // the MCP SDK adds only HOME, LOGNAME, PATH, SHELL, TERM and USER, and these win over them.
  const env: Record<string, string> = { PATH: searchPath, HOME: opts.scratch, TMPDIR: opts.scratch, LANG: 'C.UTF-8', ...opts.secrets };
  for (const kv of opts.egressDir ? PROXY_ENV : []) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  // Node's own fetch and http honour the proxy variables only when told to (Node 24).
  if (opts.egressDir) env.NODE_USE_ENV_PROXY = '1';
  const argv = [opts.command, ...opts.args];
  // The system's Python when there is one: a PATH shim (pyenv) would start slower and add its own variables.
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  args.push('--', ...(opts.egressDir ? forwardedArgv(argv, python) : argv));
  return { command: probe.bwrap, args, env };
}

const EMPTIED = ['/tmp', '/run'];

/**
 * The folders to bind back for a command line's absolute paths under /tmp or /run: for each,
 * the outermost folder above it holding a package.json or node_modules (the program's package),
 * else its own folder.
 */
export function programFolders(argv: readonly string[]): string[] {
  const out = new Set<string>();
  for (const arg of argv) {
    if (!path.isAbsolute(arg) || !EMPTIED.some((e) => arg.startsWith(`${e}/`)) || !fs.existsSync(arg)) continue;
    const start = fs.statSync(arg).isDirectory() ? arg : path.dirname(arg);
    let root = start;
    // The outermost package: a server inside node_modules needs its hoisted neighbours too.
    for (let at = start; !EMPTIED.includes(at) && at !== '/'; at = path.dirname(at)) {
      if (fs.existsSync(path.join(at, 'package.json')) || fs.existsSync(path.join(at, 'node_modules'))) root = at;
    }
    out.add(root);
  }
  return [...out];
}
