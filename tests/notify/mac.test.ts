/**
 * The macOS notification path, run here on Linux with the platform given: node-notifier's real
 * bundled terminal-notifier (an x86_64 Mach-O), its header read for real; a copy of it that
 * cannot be executed, so the spawn really fails; and PATH holding stand-ins for Homebrew's
 * `terminal-notifier` and for `osascript` (neither exists on Linux) that record their arguments.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendUnavailable, NodeNotifierBackend, type Notice } from '../../src/notify/backend.js';
import { appleScriptString, bundledTerminalNotifier, cannotRun, machoArchs } from '../../src/notify/mac.js';
import { probeNotifications } from '../../src/notify/probe.js';

let dir: string;
let bin: string;
const fallbacks: [string, string][] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-mac-'));
  bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fallbacks.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in command that records its arguments (NUL-separated) and exits with `code`. */
function standIn(name: string, code = 0, stderr = ''): void {
  fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s\\0' "$@" >> "${path.join(dir, name)}.args"\nprintf '%s' '${stderr}' >&2\nexit ${code}\n`, { mode: 0o755 });
}
const argsOf = (name: string): string[] => {
  const file = path.join(dir, `${name}.args`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\0').slice(0, -1) : [];
};

function backend(mac: { arch: string; bundled?: string; rosetta?: string }): NodeNotifierBackend {
  return new NodeNotifierBackend({ PATH: `${bin}:/usr/bin:/bin`, HOME: dir }, 'darwin', {
    onFallback: (why, now) => fallbacks.push([why, now]),
    mac: { rosetta: path.join(dir, 'no-rosetta'), ...mac },
  });
}

const NOTICE: Notice = { title: 'receipts: 2 done', body: 'acme "big" \\ invoice.pdf\nand 1 more', urgency: 'normal', open: '/Users/ada/out put' };

describe('macOS notifications', () => {
  it('reads the bundled terminal-notifier as x86_64 only', () => {
    expect(machoArchs(bundledTerminalNotifier())).toEqual(['x64']);
  });

  it('on Apple Silicon without Rosetta uses terminal-notifier from PATH, told once', async () => {
    standIn('terminal-notifier');
    const b = backend({ arch: 'arm64' });
    await b.send(NOTICE);
    await b.send(NOTICE);
    const args = argsOf('terminal-notifier');
    expect(args.slice(0, 6)).toEqual(['-title', NOTICE.title, '-message', NOTICE.body, '-open', 'file:///Users/ada/out%20put']);
    expect(args).toHaveLength(12);
    expect(fallbacks).toEqual([[expect.stringContaining('built for x64 only and this Mac is arm64 without Rosetta') as unknown, `Notification Center (through ${path.join(bin, 'terminal-notifier')})`]]);
  });

  it('without terminal-notifier anywhere, uses osascript with the strings escaped for AppleScript', async () => {
    standIn('osascript');
    await backend({ arch: 'arm64' }).send(NOTICE);
    expect(argsOf('osascript')).toEqual(['-e', 'display notification "acme \\"big\\" \\\\ invoice.pdf\\nand 1 more" with title "receipts: 2 done"']);
    expect(fallbacks[0]?.[1]).toBe('Notification Center (through osascript display notification; clicks open nothing)');
  });

  it('keeps the bundled notifier on Apple Silicon with Rosetta, and on an Intel Mac', async () => {
    const rosetta = path.join(dir, 'libRosettaRuntime');
    fs.writeFileSync(rosetta, '');
    expect(backend({ arch: 'arm64', rosetta }).mac.route()).toEqual({ kind: 'bundled', binary: bundledTerminalNotifier() });
    expect(backend({ arch: 'x64' }).mac.route().kind).toBe('bundled');
  });

  it('falls back when spawning the bundled notifier fails, once, then goes straight to the fallback', async () => {
    // A copy of the real binary that cannot be executed: the spawn fails before anything runs,
    // as it does with EBADARCH (-86) on an arm64 Mac without Rosetta.
    const copy = path.join(dir, 'terminal-notifier');
    fs.copyFileSync(bundledTerminalNotifier(), copy);
    fs.chmodSync(copy, 0o644);
    standIn('osascript');
    const b = backend({ arch: 'x64', bundled: copy });
    expect(b.mac.route().kind).toBe('bundled');
    await b.send(NOTICE);
    await b.send(NOTICE);
    expect(argsOf('osascript').filter((a) => a === '-e')).toHaveLength(2);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]?.[0]).toMatch(/^node-notifier's terminal-notifier cannot run on this Mac \(spawn .*EACCES\)$/);
    expect(b.mac.route()).toEqual({ kind: 'osascript' });
  });

  it('knows the spawn error of a binary for the wrong CPU, and not a notifier that ran and failed', () => {
    // The shape Node gives on macOS for posix_spawn's EBADARCH.
    const badArch = Object.assign(new Error('spawn Unknown system error -86'), { errno: -86, code: 'Unknown system error -86', syscall: 'spawn /x/terminal-notifier' });
    expect(cannotRun(badArch)).toBe(true);
    expect(cannotRun(Object.assign(new Error('Command failed'), { code: 1 }))).toBe(false);
  });

  it('reports osascript\'s own error when even that fails', async () => {
    standIn('osascript', 1, 'execution error: Notifications are not allowed (-1743)');
    const err = await backend({ arch: 'arm64' }).send(NOTICE).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailable);
    expect((err as BackendUnavailable).message).toBe('execution error: Notifications are not allowed (-1743)');
  });

  it('escapes AppleScript strings', () => {
    expect(appleScriptString('a"b\\c\r\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('doctor says which way notices go', async () => {
    standIn('terminal-notifier');
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const r = await probeNotifications(env, 'darwin', { arch: 'arm64', rosetta: path.join(dir, 'none') });
    expect(r).toEqual({ ok: true, summary: expect.stringMatching(new RegExp(`^Notification Center \\(through ${path.join(bin, 'terminal-notifier')}\\): node-notifier's terminal-notifier is built for x64 only and this Mac is arm64 without Rosetta$`)) as unknown });
    expect((await probeNotifications(env, 'darwin', { arch: 'x64' })).summary).toBe('Notification Center (through terminal-notifier, shipped with node-notifier)');
  });
});
