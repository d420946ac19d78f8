import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { errorCode } from '../errors.js';
import { isIgnoredName, isInside } from '../rules/match.js';

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
}

/** How long after the last new file the folder is swept for files that got no event. */
const QUIET_SWEEP_MS = 2000;

/** Errors that mean the OS ran out of watches or file handles: polling still works. */
const OUT_OF_WATCHES = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);

/**
 * One inbox. A file is handed on once its size and mtime have stayed the same for the settle
 * window, so a slow copy or a scanner still writing is processed once, complete.
 */
export class InboxWatcher {
  private watcher: FSWatcher | undefined;
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; size: number; mtimeMs: number }>();
  private quiet: NodeJS.Timeout | undefined;
  mode: WatchMode;
  private closed = false;

  constructor(private readonly opts: InboxWatcherOptions) {
    this.mode = opts.poll ? 'polling' : 'events';
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.opts.folder, { recursive: true });
    await this.open();
    // chokidar lists the folder before it starts watching it: a file created in between gets
    // no event, so the folder is swept once just after.
    this.sweepSoon();
    this.opts.onMode(this.mode, this.mode === 'polling' ? 'poll: true is set' : 'file system events');
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
    w.on('add', (p) => {
      this.touch(p);
      this.sweepSoon();
    });
    w.on('change', (p) => this.touch(p));
    w.on('unlink', (p) => this.forget(p));
    w.on('error', (err) => this.failed(err));
    this.watcher = w;
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  }

  private failed(err: unknown): void {
    const code = errorCode(err);
    if (code && OUT_OF_WATCHES.has(code) && this.mode === 'events' && !this.closed) {
      // The OS watch limit was hit: fall back to polling this inbox rather than going blind.
      this.mode = 'polling';
      const old = this.watcher;
      void old?.close().then(() => this.open()).then(
        () => this.opts.onMode('polling', `the OS watch limit was reached (${code}); polling instead`),
        (e: unknown) => this.opts.onError(e),
      );
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
  touch(file: string): void {
    if (this.closed) return;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      return this.forget(file);
    }
    if (st.isDirectory()) return;
    const known = this.pending.get(file);
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => this.settled(file), this.opts.settleMs);
    this.pending.set(file, { timer, size: st.size, mtimeMs: st.mtimeMs });
  }

  private settled(file: string): void {
    const known = this.pending.get(file);
    if (!known || this.closed) return;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      // Gone before it settled: it never really arrived, so there is nothing to record.
      this.pending.delete(file);
      return;
    }
    if (st.size !== known.size || st.mtimeMs !== known.mtimeMs) return this.touch(file);
    this.pending.delete(file);
    const arrived: ArrivedFile = { path: file, size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs || st.mtimeMs };
    if (st.isSymbolicLink()) arrived.linkTarget = safeReadlink(file);
    else if (!st.isFile()) return;
    this.opts.onFile(arrived);
  }

  private forget(file: string): void {
    const known = this.pending.get(file);
    if (known) clearTimeout(known.timer);
    this.pending.delete(file);
  }

  async close(): Promise<void> {
    this.closed = true;
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
