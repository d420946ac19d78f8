/**
 * Notification Center on macOS. node-notifier bundles terminal-notifier, but as an x86_64-only
 * binary: on Apple Silicon without Rosetta it cannot run at all (`spawn Unknown system error
 * -86`, EBADARCH). That is found up front (the binary's Mach-O header against this Mac's
 * architecture, and whether Rosetta is installed) or when a spawn fails that way, and then
 * dropwork falls back, once and logged: a `terminal-notifier` on PATH (Homebrew's is native),
 * else `osascript -e 'display notification ...'`, which every Mac has.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BackendUnavailable, onPath, type Notice } from './backend.js';

export interface MacOptions {
  env: NodeJS.ProcessEnv;
  /** node-notifier's terminal-notifier. @default the one in node_modules */
  bundled?: string;
  /** @default process.arch */
  arch?: string;
  /** Present when Rosetta 2 is installed. @default /Library/Apple/usr/libexec/oah/libRosettaRuntime */
  rosetta?: string;
  /** Told once when dropwork stops using the bundled notifier. */
  onFallback?: (why: string, now: string) => void;
}

export type MacRoute = { kind: 'bundled' | 'terminal-notifier'; binary: string } | { kind: 'osascript' };

export function bundledTerminalNotifier(): string {
  const pkg = path.dirname(createRequire(import.meta.url).resolve('node-notifier/package.json'));
  return path.join(pkg, 'vendor', 'mac.noindex', 'terminal-notifier.app', 'Contents', 'MacOS', 'terminal-notifier');
}

const CPU: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64', 7: 'ia32' };

/** The architectures a Mach-O file (thin or universal) holds, in process.arch's names. */
export function machoArchs(file: string): string[] {
  const head = Buffer.alloc(4096);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const magic = head.readUInt32BE(0);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    const count = head.readUInt32BE(4);
    const step = magic === 0xcafebabe ? 20 : 32;
    return Array.from({ length: Math.min(count, 50) }, (_, i) => CPU[head.readUInt32BE(8 + i * step)] ?? 'other');
  }
  if (magic === 0xcffaedfe || magic === 0xcefaedfe) return [CPU[head.readUInt32LE(4)] ?? 'other'];
  return [];
}

/** Why the bundled binary cannot run here, found before trying it; undefined if it may. */
export function bundledProblem(opts: MacOptions): string | undefined {
  const binary = opts.bundled ?? bundledTerminalNotifier();
  const arch = opts.arch ?? process.arch;
  let archs: string[];
  try {
    archs = machoArchs(binary);
  } catch (err) {
    return `node-notifier's terminal-notifier cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (archs.includes(arch)) return undefined;
  if (arch === 'arm64' && archs.includes('x64') && fs.existsSync(opts.rosetta ?? '/Library/Apple/usr/libexec/oah/libRosettaRuntime')) return undefined;
  return `node-notifier's terminal-notifier is built for ${archs.join(', ') || 'no known architecture'} only and this Mac is ${arch}${arch === 'arm64' ? ' without Rosetta' : ''}`;
}

/** A spawn that failed because the binary cannot be executed here (not one that ran and failed). */
export function cannotRun(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  if (!e || typeof e !== 'object') return false;
  if (e.errno === -86 || e.code === 'EBADARCH' || /Unknown system error -86/.test(String(e.code ?? '') + e.message)) return true;
  return typeof e.syscall === 'string' && e.syscall.startsWith('spawn') && ['ENOEXEC', 'EACCES', 'ENOENT', 'ELIBBAD'].includes(String(e.code));
}

/** An AppleScript string literal: backslashes and quotes escaped, line breaks as \n. */
export function appleScriptString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r\n|\r|\n/g, '\\n')}"`;
}

export class MacNotifier {
  private bundledBroken: string | undefined;
  private ownBroken = false;
  private told = false;

  constructor(private readonly opts: MacOptions) {
    this.bundledBroken = bundledProblem(opts);
  }

  /** Which way a notice goes now (the doctor prints it). */
  route(): MacRoute {
    if (!this.bundledBroken) return { kind: 'bundled', binary: this.opts.bundled ?? bundledTerminalNotifier() };
    const own = this.ownBroken ? undefined : onPath('terminal-notifier', this.opts.env);
    return own ? { kind: 'terminal-notifier', binary: own } : { kind: 'osascript' };
  }

  /** Why the bundled notifier is not used, if it is not. */
  get problem(): string | undefined {
    return this.bundledBroken;
  }

  async send(notice: Notice, url: string | undefined): Promise<void> {
    if (this.bundledBroken) this.fellBack();
    for (;;) {
      const route = this.route();
      try {
        await this.sendBy(route, notice, url);
        return;
      } catch (err) {
        if (route.kind === 'osascript' || !cannotRun(err)) throw unavailable(err);
        if (route.kind === 'bundled') this.bundledBroken = `node-notifier's terminal-notifier cannot run on this Mac (${(err as Error).message})`;
        else this.ownBroken = true;
        this.fellBack();
      }
    }
  }

  private fellBack(): void {
    if (this.told) return;
    this.told = true;
    this.opts.onFallback?.(this.bundledBroken ?? 'terminal-notifier cannot run', describeRoute(this.route()));
  }

  private sendBy(route: MacRoute, notice: Notice, url: string | undefined): Promise<void> {
    if (route.kind === 'osascript') {
      const script = `display notification ${appleScriptString(notice.body)} with title ${appleScriptString(notice.title)}`;
      return run('osascript', ['-e', script], this.opts.env);
    }
    return run(route.binary, ['-title', notice.title, '-message', notice.body, ...(url ? ['-open', url] : [])], this.opts.env);
  }
}

export function describeRoute(route: MacRoute): string {
  if (route.kind === 'bundled') return 'Notification Center (through terminal-notifier, shipped with node-notifier)';
  if (route.kind === 'terminal-notifier') return `Notification Center (through ${route.binary})`;
  return 'Notification Center (through osascript display notification; clicks open nothing)';
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: 15_000 }, (err, _out, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve()));
  });
}

function unavailable(err: unknown): BackendUnavailable {
  const e = err as Error & { stderr?: string };
  const said = (typeof e.stderr === 'string' && e.stderr.trim().split('\n')[0]) || e.message;
  return new BackendUnavailable(said, 'check System Settings → Notifications, and that dropwork may show notifications');
}
