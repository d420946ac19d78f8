import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import notifier from 'node-notifier';
import { MacNotifier, type MacOptions } from './mac.js';

/** One desktop notification, whatever shows it. */
export interface Notice {
  title: string;
  /** A few short lines; `\n` separates them. */
  body: string;
  /** Failures stay on screen until dismissed where the desktop honours `critical`. */
  urgency: 'low' | 'normal' | 'critical';
  /** freedesktop category (`transfer.complete`, `transfer.error`, ...), for desktops that sort by it. */
  category?: string;
  /** What a click opens: a folder or a URL (only where the platform's notifier supports it). */
  open?: string;
}

/** The tiny surface the notifier needs, so tests can run the real one inside their own D-Bus session. */
export interface NotificationBackend {
  readonly name: string;
  /** Rejects with a message that says what is missing; the caller logs it once. */
  send(notice: Notice): Promise<void>;
}

/** Why a backend cannot work, with what the person can do about it. */
export class BackendUnavailable extends Error {
  constructor(message: string, readonly fix: string) {
    super(message);
  }
}

export interface BackendOptions {
  /** Where a fallback on macOS is told (once). */
  onFallback?: (why: string, now: string) => void;
  /** The macOS notifier's parts, for tests that run the macOS path on Linux. */
  mac?: Omit<MacOptions, 'env' | 'onFallback'>;
}

/**
 * node-notifier: notify-send on Linux, SnoreToast on Windows; on macOS node-notifier's bundled
 * terminal-notifier, with fallbacks where it cannot run (mac.ts). Click-to-open: only
 * Notification Center takes `open`, so on macOS a click opens the outputs folder (or the job's
 * page); node-notifier's notify-send wrapper has no `--action`, so on Linux the body names the
 * folder instead.
 */
export class NodeNotifierBackend implements NotificationBackend {
  readonly name: string;
  /** The macOS notifier, made on first use (it reads the bundled binary's header). */
  private macNotifier: MacNotifier | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env, private readonly platform: NodeJS.Platform = process.platform, private readonly opts: BackendOptions = {}) {
    this.name = platform === 'linux' ? 'notify-send' : platform === 'darwin' ? 'Notification Center' : 'node-notifier';
  }

  get mac(): MacNotifier {
    this.macNotifier ??= new MacNotifier({ ...this.opts.mac, env: this.env, ...(this.opts.onFallback ? { onFallback: this.opts.onFallback } : {}) });
    return this.macNotifier;
  }

  send(notice: Notice): Promise<void> {
    if (this.platform === 'darwin') return this.mac.send(notice, notice.open ? asUrl(notice.open) : undefined);
    if (this.platform === 'linux') {
      const problem = linuxProblem(this.env);
      if (problem) return Promise.reject(problem);
    }
    const options = {
      title: notice.title,
      message: notice.body,
      urgency: notice.urgency,
      category: notice.category,
      'app-name': 'dropwork',
      open: notice.open ? asUrl(notice.open) : undefined,
      sound: false,
      wait: false,
    };
    return new Promise((resolve, reject) => {
      // notify-send is looked up by us (linuxProblem) each time: node-notifier's own check
      // remembers a missing notify-send forever, so an install later would go unnoticed.
      const osdCheckOff: notifier.Option & { suppressOsdCheck: boolean } = { suppressOsdCheck: true };
      const target = this.platform === 'linux' ? new notifier.NotifySend(osdCheckOff) : notifier;
      target.notify(options, (err: Error | null | string) => {
        // notify-send's stderr arrives as `err` even when it worked; only real failures count.
        if (err instanceof Error) reject(new BackendUnavailable(firstLine(err.message), fixFor(err.message)));
        else resolve();
      });
    });
  }
}

/** What stops notify-send before it runs: not installed, or no session bus to talk to. */
export function linuxProblem(env: NodeJS.ProcessEnv): BackendUnavailable | undefined {
  if (!onPath('notify-send', env)) {
    return new BackendUnavailable('notify-send is not installed', 'install libnotify-bin (Debian/Ubuntu) or libnotify (Fedora, Arch)');
  }
  if (!sessionBus(env)) {
    return new BackendUnavailable('there is no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set)', 'run dropwork inside your desktop session, e.g. as a user service: dropwork service install');
  }
  return undefined;
}

/** The session bus address notify-send will use, if any (libnotify also finds $XDG_RUNTIME_DIR/bus). */
export function sessionBus(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && fs.existsSync(path.join(runtime, 'bus'))) return `unix:path=${path.join(runtime, 'bus')}`;
  return undefined;
}

export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, command);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      if (fs.statSync(full).isFile()) return full;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function fixFor(message: string): string {
  if (/org\.freedesktop\.Notifications|ServiceUnknown|not provided by any \.service/i.test(message)) {
    return 'no notification server answers on the session bus: start your desktop\'s notification daemon (e.g. dunst, mako)';
  }
  if (/bus|dbus|DISPLAY|could not connect/i.test(message)) return 'run dropwork inside your desktop session, e.g. as a user service: dropwork service install';
  return 'check that desktop notifications work: notify-send hello';
}

function firstLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('Command failed'));
  return lines[0] ?? message.split('\n')[0] ?? message;
}

function asUrl(target: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return target;
  return pathToFileURL(target).href;
}
