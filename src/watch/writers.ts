/**
 * Which processes hold a file open for writing, so a download or a scanner that pauses longer
 * than the settle window is waited for instead of taken half-written. Linux only (/proc); on
 * other systems nothing is known and the settle window alone decides.
 *
 * One scan reads every process's fd links (here 110 processes, 650 fds: 40-75 ms on a busy
 * 2-core machine), so it runs only when a file settles, asynchronously, and one scan serves
 * every file that settles within SNAPSHOT_MS of it: a burst of 10,000 files costs a few scans.
 * Only the fds that point at a file asked about have their flags read (/proc/PID/fdinfo/FD).
 * Processes of other users cannot be looked into; a writer of another account is not seen.
 */
import fs from 'node:fs/promises';
import { TransientError } from '../errors.js';

/**
 * The longest one scan serves. A scan costs ~0.4 s of CPU on a machine with many processes, and
 * a fresh one per file held copy jobs to ~16/s (scripts/soak/kill-loop.mjs). A caller also says
 * since when it needs to know (`since`, the start of the file's settle window): a scan taken
 * after that sees every writer that held the file open through the window, and misses only one
 * that opened during it and wrote nothing, whose later writes the watcher sees as a change.
 */
const SNAPSHOT_MS = 2000;
/** O_ACCMODE bits of the fdinfo `flags:` field (octal): 1 = O_WRONLY, 2 = O_RDWR. */
const ACCESS_MODE = 0o3;

type Snapshot = Map<string, string[]>;

let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;

/**
 * Open-for-writing holders of `file`, as "PID" strings; empty when none (or not Linux). A scan
 * taken before `since` (ms since epoch) is not used.
 */
export async function writersOf(file: string, since = 0): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const real = await fs.realpath(file).catch(() => file);
  const now = Date.now();
  if (!cached || now - cached.at > SNAPSHOT_MS || cached.at < since) cached = { at: now, snapshot: scan() };
  const fds = (await cached.snapshot).get(real) ?? [];
  const pids = new Set<string>();
  for (const fd of fds) {
    const [pid, num] = fd.split('/') as [string, string];
    if (await writable(pid, num)) pids.add(pid);
  }
  return [...pids];
}

/** Forgets the last scan (tests, and a caller that must see a writer that opened just now). */
export function forgetWriters(): void {
  cached = undefined;
}

/** path -> ["PID/FD", ...] for every fd of every process this user may look into. */
async function scan(): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  let pids: string[];
  try {
    pids = (await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return snapshot;
  }
  await Promise.all(pids.map(async (pid) => {
    let fds: string[];
    try {
      fds = await fs.readdir(`/proc/${pid}/fd`);
    } catch {
      return; // gone, or another user's
    }
    for (const fd of fds) {
      try {
        const target = await fs.readlink(`/proc/${pid}/fd/${fd}`);
        if (!target.startsWith('/')) continue; // pipes, sockets, anon inodes
        const list = snapshot.get(target);
        if (list) list.push(`${pid}/${fd}`);
        else snapshot.set(target, [`${pid}/${fd}`]);
      } catch {
        /* closed meanwhile */
      }
    }
  }));
  return snapshot;
}

async function writable(pid: string, fd: string): Promise<boolean> {
  try {
    const info = await fs.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
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
    const writers = await writersOf(file, since ?? 0);
    if (writers.length === 0) return;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('stopped');
    if (Date.now() > until) throw new TransientError(`the file is still open for writing (process ${writers.join(', ')}); trying again later`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
