import fs from 'node:fs';
import type { Config } from '../config.js';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import { StoreUnavailable } from '../errors.js';
import type { Store } from '../queue/store.js';
import { watchesContinuously, type Rule } from '../rules/rule.js';
import type { Intake } from './intake.js';
import path from 'node:path';
import { mayCreateInbox, missingInbox } from './folders.js';
import { entryKind, listEntries, type EntryKind } from './scan.js';
import { InboxWatcher, type WatchMode } from './watcher.js';

interface Watched {
  watcher: InboxWatcher;
  spec: string;
  rulesKey: string;
  reason: string;
}

/** How often a missing inbox is looked for: one stat per missing folder. */
const MISSING_POLL_MS = 2000;

/** What `dropwork status` and the dashboard show for an inbox. */
export interface InboxState {
  path: string;
  mode: WatchMode | 'missing';
  reason: string;
}

/** One watcher per inbox folder, whatever the number of rules that share it. */
export class Inboxes {
  private readonly watched = new Map<string, Watched>();
  /** Inboxes outside the home that do not exist (yet), with what status says about them. */
  private readonly missing = new Map<string, string>();
  private missingTimer: NodeJS.Timeout | undefined;
  private lastRules: Rule[] = [];

  constructor(
    private readonly intake: Intake,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly events: Events,
    private readonly config: () => Config,
    /** The dropwork home: inboxes inside it are created; others are waited for. */
    private readonly home: string,
  ) {}

  private syncing: Promise<void> = Promise.resolve();

  /**
   * Starts, restarts and stops watchers to fit the rules. One at a time: a rules edit and a
   * missing inbox appearing may ask at once, and must not start one folder's watcher twice.
   */
  sync(rules: Rule[]): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow(rules));
    return this.syncing;
  }

  private async syncNow(rules: Rule[]): Promise<void> {
    this.lastRules = rules;
    const config = this.config();
    const wanted = new Map<string, { recursive: boolean; poll: boolean; rules: Rule[] }>();
    for (const rule of rules.filter(watchesContinuously)) {
      for (const folder of rule.watch) {
        const w = wanted.get(folder) ?? { recursive: false, poll: config.poll, rules: [] };
        w.recursive ||= rule.recursive;
        w.poll ||= rule.poll === true;
        w.rules.push(rule);
        wanted.set(folder, w);
      }
    }
    // A scheduled rule's inboxes (and the folder its agent reads) are read when it fires, not
    // watched: made here all the same, so a person finds the folder to drop into.
    for (const rule of rules.filter((r) => !watchesContinuously(r))) {
      for (const folder of [...rule.watch, ...(rule.input ? [rule.input] : [])]) if (!wanted.has(folder)) this.create(folder);
    }
    this.missing.clear();
    for (const folder of wanted.keys()) {
      const missing = missingInbox(folder, this.home);
      if (missing) {
        this.missing.set(folder, `${missing}; watching starts when it appears`);
        wanted.delete(folder);
      }
    }
    this.watchForMissing();
    for (const [folder, w] of this.watched) {
      if (!wanted.has(folder)) {
        await w.watcher.close();
        this.watched.delete(folder);
      }
    }
    const starts: Promise<void>[] = [];
    for (const [folder, want] of wanted) {
      const spec = JSON.stringify([want.recursive, want.poll]);
      const rulesKey = want.rules.map((r) => r.hash).sort().join(',');
      const have = this.watched.get(folder);
      if (have && have.spec === spec) {
        // Same watcher, new or changed rules: offer what is already there to them.
        if (have.rulesKey !== rulesKey) {
          have.rulesKey = rulesKey;
          this.sweep(folder, true);
        }
        continue;
      }
      if (have) await have.watcher.close();
      const meta = { spec, rulesKey, reason: '' };
      const watcher = new InboxWatcher({
        folder,
        recursive: want.recursive,
        poll: want.poll,
        pollIntervalMs: config.poll_interval_ms,
        settleMs: config.settle_ms,
        // Outputs folders are watched like any folder: a rule may watch its own outputs or
        // another rule's; what keeps that from looping is known content (see decide.ts).
        exclude: [],
        onFile: (f) => this.intake.offer(f),
        onEvent: (event, file) => this.event(folder, want.recursive, event, file),
        onQuiet: () => this.sweep(folder),
        onMode: (mode: WatchMode, reason: string) => {
          meta.reason = reason;
          this.events.emit('inbox:mode', folder, mode, reason);
          if (mode === 'polling') this.log.warn('watching an inbox by polling', { inbox: folder, reason });
        },
        onError: (err) => this.log.warn('inbox watcher error', { inbox: folder, error: String(err) }),
      });
      // One object: onMode records its reason where list() reads it.
      this.watched.set(folder, Object.assign(meta, { watcher }));
      starts.push(this.begin(folder, watcher));
    }
    // Side by side: each start is bounded by its first-scan limit, so N slow inboxes cost the
    // limit once, not N times.
    await Promise.all(starts);
  }

  /** An inbox that is not watched (a scheduled rule's), made where dropwork may make one. */
  private create(folder: string): void {
    try {
      if (mayCreateInbox(folder, this.home)) fs.mkdirSync(folder, { recursive: true });
    } catch (err) {
      this.log.error('cannot create inbox', { inbox: folder, error: String(err) });
    }
  }

  private async begin(folder: string, watcher: InboxWatcher): Promise<void> {
    try {
      if (mayCreateInbox(folder, this.home)) fs.mkdirSync(folder, { recursive: true });
      await watcher.start();
    } catch (err) {
      this.log.error('cannot watch inbox', { inbox: folder, error: String(err) });
    }
  }

  /**
   * The periodic sweep for anything the events missed. A file whose path, size and mtime are
   * already known has had its jobs made, so only new or changed files cost more than a stat.
   */
  rescan(): void {
    for (const folder of this.watched.keys()) this.sweep(folder);
  }

  /**
   * One inbox's part of the rescan; also run by its watcher once a burst of files is over.
   * `all` offers known files too (the rules changed); the intake decides what is news.
   */
  private sweep(folder: string, all = false): void {
    const w = this.watched.get(folder);
    if (!w) return;
    const [recursive] = JSON.parse(w.spec) as [boolean, boolean];
    for (const entry of listEntries(folder, recursive)) {
      if (entry.kind !== 'file' && entry.kind !== 'link') {
        this.offerOdd(entry.path, entry.kind === 'badname');
        continue;
      }
      try {
        const st = fs.lstatSync(entry.path);
        if (all || !this.store.cachedHash(entry.path, st.size, st.mtimeMs)) w.watcher.touch(entry.path);
      } catch {
        /* gone since the listing */
      }
    }
  }

  /**
   * Raw watcher events, for what never settles as a file: a folder dropped into an inbox that
   * does not look inside folders, a FIFO, socket or device node, a name that is not UTF-8, and
   * a path that left (if it comes back, it is a new drop).
   */
  private event(folder: string, recursive: boolean, event: string, file: string): void {
    if (event === 'unlink' || event === 'unlinkDir') {
      try {
        this.store.drops.forget(file, event === 'unlinkDir');
      } catch (err) {
        // A team's database is down: the record stays; a file that comes back with the same
        // size and mtime is then taken as known, as after a restart.
        if (!(err instanceof StoreUnavailable)) throw err;
      }
      return;
    }
    if (event === 'badname') {
      // chokidar cannot name it (it reports a path that does not exist): look with bytes.
      const dir = path.dirname(file);
      for (const e of listEntries(dir, false)) if (e.kind === 'badname' && path.dirname(e.path) === dir) this.offerOdd(e.path, true);
      return;
    }
    if (event === 'addDir' && !recursive && file !== folder && path.dirname(file) === folder) return this.offerOdd(file, false);
    if (event === 'add') {
      try {
        const kind = entryKind(fs.lstatSync(file));
        if (kind !== 'file' && kind !== 'link' && kind !== 'folder') this.offerOdd(file, false);
      } catch {
        /* gone already */
      }
    }
  }

  /** An entry that is not a file to take: recorded once, with the reason, by the intake. */
  private offerOdd(file: string, badName: boolean): void {
    // A folder's time changes with every file put in it: it is recorded once, timeless.
    let facts = { size: 0, mtimeMs: 0, birthtimeMs: 0 };
    let kind: EntryKind = 'badname';
    if (!badName) {
      try {
        const st = fs.lstatSync(file);
        kind = entryKind(st);
        if (kind !== 'folder') facts = { size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs || st.mtimeMs };
      } catch {
        return;
      }
    }
    this.intake.offer({ path: file, ...facts, kind });
  }

  list(): InboxState[] {
    return [
      ...[...this.watched].map(([path, w]) => ({ path, mode: w.watcher.mode, reason: w.reason })),
      ...[...this.missing].map(([path, reason]) => ({ path, mode: 'missing' as const, reason })),
    ];
  }

  /** While an inbox is missing, look for it now and then; once there, watch it. */
  private watchForMissing(): void {
    if (this.missing.size === 0) {
      clearInterval(this.missingTimer);
      this.missingTimer = undefined;
      return;
    }
    this.missingTimer ??= setInterval(() => {
      if ([...this.missing.keys()].some((f) => fs.existsSync(f))) {
        this.log.info('an inbox appeared; watching it', { inboxes: [...this.missing.keys()].filter((f) => fs.existsSync(f)) });
        void this.sync(this.lastRules);
      }
    }, MISSING_POLL_MS);
    this.missingTimer.unref();
  }

  async closeAll(): Promise<void> {
    clearInterval(this.missingTimer);
    this.missingTimer = undefined;
    this.missing.clear();
    await Promise.all([...this.watched.values()].map((w) => w.watcher.close()));
    this.watched.clear();
  }
}
