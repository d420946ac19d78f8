import fs from 'node:fs';
import type { Config } from '../config.js';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import type { Store } from '../queue/store.js';
import { watchesContinuously, type Rule } from '../rules/rule.js';
import type { Intake } from './intake.js';
import { listInbox } from './scan.js';
import { InboxWatcher, type WatchMode } from './watcher.js';

interface Watched {
  watcher: InboxWatcher;
  spec: string;
  rulesKey: string;
  reason: string;
}

/** One watcher per inbox folder, whatever the number of rules that share it. */
export class Inboxes {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly intake: Intake,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly events: Events,
    private readonly config: () => Config,
  ) {}

  /** Starts, restarts and stops watchers to fit the rules. */
  async sync(rules: Rule[]): Promise<void> {
    const config = this.config();
    const outputs = rules.map((r) => r.output);
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
    for (const [folder, w] of this.watched) {
      if (!wanted.has(folder)) {
        await w.watcher.close();
        this.watched.delete(folder);
      }
    }
    const starts: Promise<void>[] = [];
    for (const [folder, want] of wanted) {
      const spec = JSON.stringify([want.recursive, want.poll, outputs]);
      const rulesKey = want.rules.map((r) => r.hash).sort().join(',');
      const have = this.watched.get(folder);
      if (have && have.spec === spec) {
        // Same watcher, new or changed rules: offer what is already there to them.
        if (have.rulesKey !== rulesKey) {
          have.rulesKey = rulesKey;
          for (const f of listInbox(folder, want.recursive, outputs)) have.watcher.touch(f);
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
        exclude: outputs,
        onFile: (f) => this.intake.offer(f),
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

  private async begin(folder: string, watcher: InboxWatcher): Promise<void> {
    try {
      fs.mkdirSync(folder, { recursive: true });
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

  /** One inbox's part of the rescan; also run by its watcher once a burst of files is over. */
  private sweep(folder: string): void {
    const w = this.watched.get(folder);
    if (!w) return;
    const spec = JSON.parse(w.spec) as [boolean, boolean, string[]];
    for (const file of listInbox(folder, spec[0], spec[2])) {
      try {
        const st = fs.lstatSync(file);
        if (!this.store.cachedHash(file, st.size, st.mtimeMs)) w.watcher.touch(file);
      } catch {
        /* gone since the listing */
      }
    }
  }

  list(): { path: string; mode: WatchMode; reason: string }[] {
    return [...this.watched].map(([path, w]) => ({ path, mode: w.watcher.mode, reason: w.reason }));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.watched.values()].map((w) => w.watcher.close()));
    this.watched.clear();
  }
}
