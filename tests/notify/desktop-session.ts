/**
 * A real desktop for the notification tests: a private D-Bus session bus, an Xvfb display,
 * dunst as the notification server on both, and dbus-monitor recording every Notify call.
 * Nothing is faked: notify-send (through node-notifier) talks to dunst over the bus.
 * Needs the Debian packages dbus, xvfb, dunst and libnotify-bin (scripts/setup/packages.txt).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NotifyCall {
  app: string;
  summary: string;
  body: string;
  /** The urgency hint: 0 low, 1 normal, 2 critical. */
  urgency: number | undefined;
}

export interface DesktopSession {
  /** DBUS_SESSION_BUS_ADDRESS and DISPLAY for processes that should notify. */
  env: { DBUS_SESSION_BUS_ADDRESS: string; DISPLAY: string };
  /** Every Notify call seen so far, oldest first. */
  calls(): NotifyCall[];
  /** Resolves once `n` calls were seen, and no further one for `quietMs` (so the count is final). */
  settle(n: number, quietMs: number, timeoutMs?: number): Promise<NotifyCall[]>;
  close(): Promise<void>;
}

export async function startDesktopSession(): Promise<DesktopSession> {
  const children: ChildProcess[] = [];
  const close = async (): Promise<void> => {
    for (const c of children.reverse()) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGTERM');
    await sleep(100);
  };
  try {
    const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bus);
    const address = (await firstLine(bus, 'dbus-daemon')).trim();

    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '800x600x24'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    children.push(xvfb);
    const display = `:${(await firstLine(xvfb, 'Xvfb', 3)).trim()}`;

    const env = { DBUS_SESSION_BUS_ADDRESS: address, DISPLAY: display };
    const dunst = spawn('dunst', [], { stdio: 'ignore', env: { ...process.env, ...env } });
    children.push(dunst);
    await waitFor(async () => (await run('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.Notifications'], { env: { ...process.env, ...env } })).stdout.includes('true'), 'dunst on the bus');

    const monitor = spawn('dbus-monitor', ['--address', address, "interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(monitor);
    let output = '';
    monitor.stdout.setEncoding('utf8').on('data', (d: string) => { output += d; });
    // It says NameLost once it has turned into a monitor; calls before that would be missed.
    await waitFor(() => Promise.resolve(output.includes('NameLost')), 'dbus-monitor ready');

    const calls = (): NotifyCall[] => parseNotifyCalls(output);
    return {
      env,
      calls,
      async settle(n, quietMs, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        while (calls().length < n && Date.now() < deadline) await sleep(100);
        let count = calls().length;
        for (;;) {
          await sleep(quietMs);
          if (calls().length === count) return calls();
          count = calls().length;
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw new Error(`the notification tests need dbus, xvfb, dunst and libnotify-bin (scripts/setup/system.sh): ${String(err)}`);
  }
}

/** dbus-monitor's text: a header line per message, then one argument per 3-space-indented line. */
export function parseNotifyCalls(text: string): NotifyCall[] {
  const blocks = text.split(/\n(?=(?:method call|signal|method return|error) )/);
  const out: NotifyCall[] = [];
  for (const block of blocks) {
    const [header, ...rest] = block.split('\n');
    if (!header?.startsWith('method call') || !header.includes('member=Notify')) continue;
    const args: string[] = [];
    for (const line of rest) {
      if (/^ {3}\S/.test(line) || args.length === 0) args.push(line);
      else args[args.length - 1] += `\n${line}`;
    }
    const str = (a: string | undefined): string => a?.trim().replace(/^string "/, '').replace(/"$/, '') ?? '';
    const urgency = block.match(/string "urgency"\s+variant\s+byte (\d)/)?.[1];
    out.push({ app: str(args[0]), summary: str(args[3]), body: str(args[4]), urgency: urgency === undefined ? undefined : Number(urgency) });
  }
  return out;
}

function firstLine(child: ChildProcess, name: string, fd = 1): Promise<string> {
  const stream = child.stdio[fd] as NodeJS.ReadableStream | null;
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 10 s`)), 10_000);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code})`)); });
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => {
      text += d;
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.split('\n')[0] ?? '');
      }
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
