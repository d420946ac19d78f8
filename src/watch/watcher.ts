import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { errorCode } from '../errors.js';
import { entryStat } from '../nofollow.js';
import { isIgnoredName, isInside } from '../rules/match.js';
import { writersOf } from './writers.js';

export type WatchMode = 'events' | 'polling';

export interface ArrivedFile {
  path: string;
  size: number;
  mtimeMs: number;
  birthtimeMs: number;
  /** Set when the entry is a symbolic link: dropwork records it and never follows it. */
  linkTarget?: string;
}

export interface InboxWatcherOptions {
  folder: string;
  recursive: boolean;
  poll: boolean;
  pollIntervalMs: number;
  settleMs: number;
  /** Outputs folders: never inputs, even when they sit inside an inbox. */
  exclude: string[];
  onFile: (file: ArrivedFile) => void;
  /** Called once new files have stopped arriving for a moment: sweep the folder (see sweepSoon). */
  onQuiet?: () => void;
  onMode: (mode: WatchMode, reason: string) => void;
  onError: (err: unknown) => void;
  /** Every raw chokidar event (add, addDir, unlink, ...), before settling: intake keeps its record. */
  onEvent?: (event: string, file: string) => void;
  /** How long start() waits for the first look at the folder. @default 10000 */
  firstScanMs?: number;
}

/** How long after the last new file the folder is swept for files that got no event. */
const QUIET_SWEEP_MS = 2000;

/**
 * How long start() waits for chokidar's first look at an inbox. A folder past the OS watch limit
 * never reports ready (chokidar 6 emits an error and stops), and a huge tree on a slow disk can
 * take minutes: the daemon must say "running" and take jobs whatever the watcher does.
 */
const FIRST_SCAN_MS = 10_000;

/** The longest wait between two looks at a file a process holds open for writing. */
const HELD_RECHECK_MAX_MS = 30_000;

/** Errors that mean the OS ran out of watches or file handles: polling still works. */
const OUT_OF_WATCHES = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);

/**
 * One inbox. A file is handed on once its size and mtime have stayed the same for the settle
 * window and no process holds it open for writing (writers.ts), so a slow copy or a scanner
 * still writing is processed once, complete.
 */
export class InboxWatcher {
  private watcher: FSWatcher | undefined;
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; size: number; mtimeMs: number; waitMs: number; since: number }>();
  private quiet: NodeJS.Timeout | undefined;
  mode: WatchMode;
  private closed = false;
  /** Ends the wait for the current chokidar instance's ready (it was replaced or closed). */
  private abandonWait: (() => void) | undefined;

  constructor(private readonly opts: InboxWatcherOptions) {
    this.mode = opts.poll ? 'polling' : 'events';
  }

  /**
   * Resolves once the folder was read, the watcher fell back to polling, or the first-scan time
   * limit passed, whichever comes first; a slow first scan goes on in the background. The folder
   * must exist (Inboxes decides whether to create it).
   */
  async start(): Promise<void> {
    const limitMs = this.opts.firstScanMs ?? FIRST_SCAN_MS;
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => { timer = setTimeout(() => resolve('slow'), limitMs); });
    const opening = this.open();
    const first = await Promise.race([opening.then(() => 'ready' as const), slow]);
    clearTimeout(timer);
    // chokidar lists the folder before it starts watching it: a file created in between gets
    // no event, so the folder is swept once just after.
    this.sweepSoon();
    if (first === 'slow' && !this.closed) {
      this.opts.onMode(this.mode, `still reading the folder after ${Math.round(limitMs / 1000)} s; files are taken as they are found`);
      void opening.then(() => { if (!this.closed) this.opts.onMode(this.mode, this.usualReason()); });
      return;
    }
    // A fall-back to polling during the first scan has already said why.
    if (this.mode === 'events' || this.opts.poll) this.opts.onMode(this.mode, this.usualReason());
  }

  private usualReason(): string {
    return this.opts.poll ? 'poll: true is set' : this.mode === 'polling' ? 'the OS watch limit was reached; polling instead' : 'file system events';
  }

  private async open(): Promise<void> {
    const { folder, exclude } = this.opts;
    const w = watch(folder, {
      persistent: true,
      ignoreInitial: false,
      followSymlinks: false,
      alwaysStat: true,
      depth: this.opts.recursive ? undefined : 0,
      backend: this.mode === 'polling' ? 'polling' : 'native',
      pollingInterval: this.opts.pollIntervalMs,
      pollingBinaryInterval: this.opts.pollIntervalMs,
      ignored: (p: string) => p !== folder && (isIgnoredName(path.basename(p)) || exclude.some((o) => p === o || isInside(p, o))),
    });
    w.on('all', (event, p) => this.opts.onEvent?.(event, p));
    // A name that is not UTF-8 reaches chokidar only as a raw event with U+FFFD in it (and no
    // such path): passed on as 'badname' so the inbox can look at the folder byte by byte.
    w.on('raw', (_event, name, details) => {
      const dir = (details as { watchedPath?: string }).watchedPath;
      if (typeof name === 'string' && name.includes('\uFFFD') && dir) this.opts.onEvent?.('badname', path.join(dir, name));
    });
    w.on('add', (p) => {
      this.touch(p);
      this.sweepSoon();
    });
    w.on('change', (p) => this.touch(p));
    w.on('unlink', (p) => this.forget(p));
    w.on('error', (err) => this.failed(err));
    this.watcher = w;
    await new Promise<void>((resolve) => {
      this.abandonWait = resolve;
      w.once('ready', () => resolve());
    });
  }

  private failed(err: unknown): void {
    const code = errorCode(err);
    if (code && OUT_OF_WATCHES.has(code) && this.mode === 'events' && !this.closed) {
      // The OS watch limit was hit: fall back to polling this inbox rather than going blind.
      this.mode = 'polling';
      // A limit hit during the first scan means this instance never reports ready: stop
      // waiting for it, so start() returns while the polling watcher reads the folder.
      this.abandonWait?.();
      const old = this.watcher;
      this.opts.onMode('polling', `the OS watch limit was reached (${code}); polling instead`);
      void old?.close().then(() => this.open()).catch((e: unknown) => this.opts.onError(e));
      return;
    }
    this.opts.onError(err);
  }

  /**
   * A sweep once the adds stop finds files of a burst that got no event within seconds instead
   * of at the next rescan. chokidar 5.0.0 dropped a folder re-read that outlasted its 1 s
   * throttle and lost 399-649 of 3,000 files written into a folder of 20,000; chokidar 6.0.0
   * loses none of those (0 of 15,000 in five runs, scripts/bench/chokidar-burst.mjs), but 10,000
   * files written at once into an empty folder still lose 1,808 in that script and 7,070 in the
   * daemon's burst (npm run bench -- pipeline, a loaded 2-core machine): most likely more events
   * than the kernel's inotify queue holds (max_queued_events, 16,384 by default; about three per
   * new file), after which chokidar does not re-read the folder. So the sweep stays.
   */
  private sweepSoon(): void {
    if (!this.opts.onQuiet || this.closed) return;
    if (this.quiet) this.quiet.refresh();
    else this.quiet = setTimeout(() => this.opts.onQuiet?.(), QUIET_SWEEP_MS);
  }

  /** Called for every add/change, and by rescans: (re)starts the file's settle window. */
  touch(file: string, waitMs = this.opts.settleMs): void {
    if (this.closed) return;
    const st = this.lstatBelow(file);
    if (!st) return this.forget(file);
    if (st.isDirectory()) return;
    const known = this.pending.get(file);
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => this.settled(file), waitMs);
    this.pending.set(file, { timer, size: st.size, mtimeMs: st.mtimeMs, waitMs, since: Date.now() });
  }

  private settled(file: string): void {
    const known = this.pending.get(file);
    if (!known || this.closed) return;
    const st = this.lstatBelow(file);
    if (!st) {
      // Gone before it settled (or a folder on its way became a link): it never really arrived.
      this.pending.delete(file);
      return;
    }
    if (st.size !== known.size || st.mtimeMs !== known.mtimeMs) return this.touch(file);
    const arrived: ArrivedFile = { path: file, size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs || st.mtimeMs };
    if (st.isSymbolicLink()) arrived.linkTarget = safeReadlink(file);
    else if (!st.isFile()) return this.forget(file);
    else return void this.unlessBeingWritten(file, known, arrived);
    this.pending.delete(file);
    this.opts.onFile(arrived);
  }

  /**
   * A writer that pauses longer than the settle window (a download, a scanner between pages)
   * still holds the file open for writing: it stays pending, and its window starts again.
   */
  private async unlessBeingWritten(file: string, known: { waitMs: number; since: number }, arrived: ArrivedFile): Promise<void> {
    let writers: string[] = [];
    try {
      // The scan must be no older than the settle window this file just went through: when it
      // began, not settle_ms ago, which in a burst (timers running late) asked for a new scan
      // for nearly every file.
      writers = await writersOf(file, known.since);
    } catch {
      /* unknown: the settle window alone decides */
    }
    // A change, an unlink or close() while looking replaced or removed this entry: theirs stands.
    if (this.closed || this.pending.get(file) !== known) return;
    // Looked at again less and less often (up to every 30 s): a file held open for hours costs
    // a /proc scan every 30 s, not every settle window. A change starts the window afresh.
    if (writers.length > 0) return this.touch(file, Math.min(known.waitMs * 2, HELD_RECHECK_MAX_MS));
    this.pending.delete(file);
    this.opts.onFile(arrived);
  }

  /**
   * lstat of an entry below the inbox, reached through real folders only: a subfolder replaced
   * by a link after chokidar saw it leads nowhere (undefined), so what lies behind the link is
   * never reported as a drop. Every step below the inbox is checked, not only the last.
   */
  private lstatBelow(file: string): fs.Stats | undefined {
    const rel = path.relative(this.opts.folder, file);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    try {
      // Right in the inbox: lstat does not follow the last step, and the inbox is the base.
      if (!rel.includes(path.sep)) return fs.lstatSync(file);
      return entryStat(this.opts.folder, rel.split(path.sep).join('/'));
    } catch {
      return undefined;
    }
  }

  private forget(file: string): void {
    const known = this.pending.get(file);
    if (known) clearTimeout(known.timer);
    this.pending.delete(file);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abandonWait?.();
    clearTimeout(this.quiet);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.watcher?.close();
  }
}

function safeReadlink(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return '?';
  }
}
