import fs from 'node:fs';
import path from 'node:path';
import { localClock, localizeTimes, zoneName } from './human.js';
import { redact } from './redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** JSON lines go to logs/dropwork.log here; omit for terminal only. */
  dir?: string | undefined;
  level?: Level;
  /** Readable lines on stderr, for a terminal (off under a service manager, which keeps stderr itself). */
  console?: boolean;
  /** Rotate when the file passes this size. @default 10 MiB */
  maxBytes?: number;
  /** Rotated files kept: dropwork.log.1 … .N. @default 5 */
  keep?: number;
}

/**
 * Structured JSON lines with size-based rotation, and readable lines on a terminal. Every line
 * passes through `redact`, so an API key that slips into a message never reaches the disk.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = RANK[opts.level ?? 'info'];
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const keep = opts.keep ?? 5;
  const file = opts.dir ? path.join(opts.dir, 'dropwork.log') : undefined;
  let size = 0;
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      size = fs.statSync(file).size;
    } catch {
      size = 0;
    }
  }

  const rotate = (f: string): void => {
    for (let i = keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${f}.${i}`, `${f}.${i + 1}`);
      } catch {
        /* not there yet */
      }
    }
    try {
      fs.renameSync(f, `${f}.1`);
    } catch {
      /* nothing to rotate */
    }
    size = 0;
  };

  let zoneSaid = false;
  const write = (lvl: Level, msg: string, given?: Record<string, unknown>): void => {
    if (RANK[lvl] < level) return;
    const time = new Date().toISOString();
    // An absent field is left out, never written as "reason=null".
    const fields = given && Object.fromEntries(Object.entries(given).filter(([, v]) => v !== null && v !== undefined));
    if (file) {
      const line = redact(JSON.stringify({ time, level: lvl, msg, ...fields })) + '\n';
      // Bytes, not characters: a file name in Japanese is three bytes a character on disk.
      const bytes = Buffer.byteLength(line);
      if (size + bytes > maxBytes) rotate(file);
      try {
        fs.appendFileSync(file, line);
        size += bytes;
      } catch {
        /* a full disk must not take the daemon down with it */
      }
    }
    if (opts.console) {
      const extra = fields && Object.keys(fields).length ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '';
      // A terminal's reader gets local times, the zone said once (the file keeps UTC ISO times).
      if (!zoneSaid) process.stderr.write(`(times below are local, ${zoneName()})\n`);
      zoneSaid = true;
      process.stderr.write(redact(localizeTimes(`${localClock(time)} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra}`)) + '\n');
    }
  };

  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
