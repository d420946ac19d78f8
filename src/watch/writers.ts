/**
 * Which processes hold a file open for writing, so a download or a scanner that pauses longer
 * than the settle window is waited for instead of taken half-written. Linux only (/proc); on
 * other systems nothing is known and the settle window alone decides.
 *
 * One scan reads every process's fd links (here ~100 processes, ~650 fds). It is synchronous:
 * 8-11 ms of CPU, against 25-52 ms for the same scan through fs/promises, which also filled
 * libuv's 4 threads with ~650 readlinks at a time, so the copy jobs' copyFile and the intake's
 * hashing queued behind every scan (a 4,000-file burst spent ~10 s of its main thread in
 * readlink: /tmp/prof, `npm run bench -- pipeline` with BENCH_DAEMON_ARGS=--cpu-prof).
 * One scan serves every file that settles soon after it (see SNAPSHOT_MS and `since`), so a
 * burst costs at most one scan per settle window. Only the fds that point at a file asked about
 * have their flags read (/proc/PID/fdinfo/FD). Processes of other users cannot be looked into;
 * a writer of another account is not seen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TransientError } from '../errors.js';

/**
 * The longest one scan serves. A caller also says since when it needs to know (`since`, the
 * start of the file's settle window): a scan taken after that sees every writer that held the
 * file open through the window, and misses only one that opened during it and wrote nothing,
 * whose later writes the watcher sees as a change.
 */
const SNAPSHOT_MS = 2000;
/** O_ACCMODE bits of the fdinfo `flags:` field (octal): 1 = O_WRONLY, 2 = O_RDWR. */
const ACCESS_MODE = 0o3;

interface Snapshot {
  at: number;
  /** Open file path -> ["PID/FD", ...]. */
  fds: Map<string, string[]>;
  /** The last parts of those paths: a file whose name is not here is open nowhere. */
  names: Set<string>;
}

let cached: Snapshot | undefined;

/**
 * Open-for-writing holders of `file`, as "PID" strings; empty when none (or not Linux). A scan
 * taken before `since` (ms since epoch) is not used. `file`'s last part must not be a link (the
 * watcher and the sweep ask about regular files; untilWritten resolves links first).
 */
export async function writersOf(file: string, since = 0): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const now = Date.now();
  if (!cached || now - cached.at > SNAPSHOT_MS || cached.at < since) cached = scan(now);
  // The fd links name real paths; the file's own name is the last part of its real path, so a
  // name open nowhere needs no realpath (30 us each here, ~350 us through fs/promises in a burst).
  if (!cached.names.has(path.basename(file))) return [];
  let real: string;
  try {
    real = fs.realpathSync.native(file);
  } catch {
    real = file;
  }
  const pids = new Set<string>();
  for (const fd of cached.fds.get(real) ?? []) {
    const [pid, num] = fd.split('/') as [string, string];
    if (writable(pid, num)) pids.add(pid);
  }
  return [...pids];
}

/** Forgets the last scan (tests, and a caller that must see a writer that opened just now). */
export function forgetWriters(): void {
  cached = undefined;
}

/** Every fd of every process this user may look into. */
function scan(at: number): Snapshot {
  const snapshot: Snapshot = { at, fds: new Map(), names: new Set() };
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return snapshot;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      if (!target.startsWith('/')) continue; // pipes, sockets, anon inodes
      const list = snapshot.fds.get(target);
      if (list) list.push(`${pid}/${fd}`);
      else snapshot.fds.set(target, [`${pid}/${fd}`]);
      snapshot.names.add(path.basename(target));
    }
  }
  return snapshot;
}

function writable(pid: string, fd: string): boolean {
  try {
    const info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
    return flags !== undefined && (parseInt(flags, 8) & ACCESS_MODE) !== 0;
  } catch {
    return false; // closed meanwhile
  }
}

/**
 * Waits until no process holds `file` open for writing (at once off Linux). A writer that keeps
 * it open past `limitMs` makes it a TransientError: the job is retried later with backoff rather
 * than holding a worker slot for as long as, say, a logger keeps its file open. `since`: the
 * first look may use a scan taken since then (at most SNAPSHOT_MS old, as writersOf allows),
 * such as one the job started beside its work (execute.ts); without it, and for every later
 * look, the scan is fresh.
 */
export async function untilWritten(file: string, signal: AbortSignal, limitMs = 60_000, pollMs = 500, since?: number): Promise<void> {
  const until = Date.now() + limitMs;
  for (let first = true; ; first = false) {
    // A file queued by hand had no settle window to look for writers in.
    if (!first || since === undefined) forgetWriters();
    const writers = await writersOf(realOrSelf(file), since ?? 0);
    if (writers.length === 0) return;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('stopped');
    if (Date.now() > until) throw new TransientError(`the file is still open for writing (process ${writers.join(', ')}); trying again later`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A file queued by hand may be a link: the fds name what it points at. */
function realOrSelf(file: string): string {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return file;
  }
}
