import fs from 'node:fs';
import path from 'node:path';
import type { Paths } from '../paths.js';
import { localizeTimes, localTime, zoneName } from '../human.js';
import { redact } from '../redact.js';
import { run } from './exec.js';
import type { ServiceManager } from './manager.js';

/** The last `n` lines of a file, read from its end (a log may be megabytes). */
export function lastLines(file: string, n: number): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const chunk = Math.min(size, Math.max(64 * 1024, n * 400));
    const buf = Buffer.alloc(chunk);
    fs.readSync(fd, buf, 0, chunk, size - chunk);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    if (chunk < size) lines.shift(); // the first line is probably cut
    return lines.slice(-n);
  } finally {
    fs.closeSync(fd);
  }
}

/** A JSON log line as a person reads it: `2026-11-21 12:00:01 WARN message key=value`, local time (the zone is said above the lines). */
export function readable(line: string): string {
  try {
    const { time, level, msg, ...fields } = JSON.parse(line) as { time?: string; level?: string; msg?: string; [k: string]: unknown };
    const extra = Object.entries(fields).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    return localizeTimes(`${time ? localTime(time) : ''} ${(level ?? '').toUpperCase().padEnd(5)} ${msg ?? ''}${extra ? ` ${extra}` : ''}`);
  } catch {
    return line;
  }
}

export function daemonLog(paths: Paths): string {
  return path.join(paths.logsDir, 'dropwork.log');
}

/**
 * `dropwork service logs`: the daemon's own log, then what the service manager kept (the
 * journal, or launchd's captured stderr), so a daemon that dies before it can log still shows why.
 */
export async function printLogs(paths: Paths, manager: ServiceManager | undefined, extraFiles: string[], n: number, out: (s: string) => void): Promise<void> {
  const file = daemonLog(paths);
  const own = lastLines(file, n);
  out(`── ${file}${own.length ? ` (times are local, ${zoneName()})` : ' (empty or missing: the daemon has not run with this home yet)'}\n`);
  for (const l of own) out(redact(readable(l)) + '\n');
  for (const extra of extraFiles) {
    const lines = lastLines(extra, n);
    if (lines.length === 0) continue;
    out(`── ${extra}\n`);
    for (const l of lines) out(redact(l) + '\n');
  }
  if (manager?.logCommand) {
    const [cmd, ...args] = manager.logCommand as [string, ...string[]];
    const r = await run(cmd, [...args, '-n', String(n)]);
    const text = r.stdout.trim();
    if (r.code === 0 && text && !/^-- No entries --$/m.test(text)) out(`── ${manager.logCommand.join(' ')}\n${redact(text)}\n`);
  }
}

/** Prints lines as they are added to the daemon's log, until the process is stopped. */
export function followLog(paths: Paths, out: (s: string) => void): void {
  const file = daemonLog(paths);
  let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  fs.watchFile(file, { interval: 500 }, (cur) => {
    if (cur.size < offset) offset = 0; // rotated
    if (cur.size === offset) return;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(cur.size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    offset = cur.size;
    for (const l of buf.toString('utf8').split('\n').filter(Boolean)) out(redact(readable(l)) + '\n');
  });
}
