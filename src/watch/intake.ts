import path from 'node:path';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import type { JobRow } from '../queue/status.js';
import type { NewJob, Store } from '../queue/store.js';
import { matchFile } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';
import { sha256File, sha256SmallFile, sha256Text, SMALL_FILE_BYTES } from './fingerprint.js';
import type { ArrivedFile } from './watcher.js';

/**
 * Turns settled files into jobs. Files arrive one by one from the watchers; they are hashed a few
 * at a time and written in batches, so a burst of 10,000 drops costs a few dozen commits.
 */
export class Intake {
  private readonly waiting: (ArrivedFile & { forRules?: Rule[] })[] = [];
  private hashing = 0;
  private batch: NewJob[] = [];
  private hashes: { path: string; size: number; mtimeMs: number; sha256: string }[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private idleResolvers: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly rules: () => Rule[],
    private readonly events: Events,
    private readonly log: Logger,
    private readonly onQueued: () => void,
    private readonly parallel = 4,
  ) {}

  /**
   * A settled file. `forRules` names the rules to queue it for (a scheduled sweep); by default,
   * every rule that watches its inbox continuously.
   */
  offer(file: ArrivedFile, forRules?: Rule[]): void {
    this.waiting.push(forRules ? { ...file, forRules } : file);
    this.pump();
  }

  /** Resolves once everything offered so far is in the store (tests and benchmarks). */
  idle(): Promise<void> {
    if (this.hashing === 0 && this.waiting.length === 0 && this.batch.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  private pump(): void {
    while (this.hashing < this.parallel && this.waiting.length > 0) {
      const file = this.waiting.shift() as ArrivedFile & { forRules?: Rule[] };
      this.hashing++;
      this.jobsFor(file)
        .then((jobs) => {
          this.batch.push(...jobs);
          const sha256 = jobs[0]?.sha256;
          if (sha256 && file.linkTarget === undefined) this.hashes.push({ path: file.path, size: file.size, mtimeMs: file.mtimeMs, sha256 });
        })
        .catch((err: unknown) => this.log.warn('could not read a dropped file; the next rescan tries again', { file: file.path, error: String(err) }))
        .finally(() => {
          this.hashing--;
          this.scheduleFlush();
          this.pump();
        });
    }
  }

  private scheduleFlush(): void {
    const drained = this.hashing === 0 && this.waiting.length === 0;
    if (drained || this.batch.length >= 500) return this.flush();
    this.flushTimer ??= setTimeout(() => this.flush(), 20);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const jobs = this.batch;
    const hashes = this.hashes;
    this.batch = [];
    this.hashes = [];
    if (jobs.length > 0) {
      // The hash is remembered in the same commit as the jobs: a file whose hash is known has
      // its jobs, which is what lets the rescan pass over it.
      const added = this.store.db.transaction(() => {
        for (const h of hashes) this.store.rememberHash(h.path, h.size, h.mtimeMs, h.sha256);
        return this.store.enqueueMany(jobs);
      })();
      for (const row of added) this.announce(row);
      if (added.some((r) => r.status === 'queued')) this.onQueued();
    }
    if (this.hashing === 0 && this.waiting.length === 0 && this.batch.length === 0) {
      const resolvers = this.idleResolvers;
      this.idleResolvers = [];
      resolvers.forEach((r) => r());
    }
  }

  private announce(row: JobRow): void {
    if (row.status === 'skipped') {
      this.events.emit('job:skipped', row);
      this.log.info('file skipped', { rule: row.rule, file: row.file, reason: row.reason });
    } else {
      this.events.emit('job:queued', row);
    }
  }

  /**
   * The jobs one file makes: one per rule watching its inbox. A file a rule's globs do not take
   * still gets a `skipped` record saying why, so the history explains every drop.
   */
  private async jobsFor(file: ArrivedFile & { forRules?: Rule[] }): Promise<NewJob[]> {
    const candidates = file.forRules ?? this.rules().filter((r) => r.watch.length > 0 && !r.schedule);
    const watching = candidates.filter((r) => r.watch.some((w) => isUnder(file.path, w)));
    if (watching.length === 0) return [];
    const facts = { size: file.size, mtimeMs: file.mtimeMs, birthtimeMs: file.birthtimeMs };
    if (file.linkTarget !== undefined) {
      const sha256 = sha256Text(`link:${file.path}->${file.linkTarget}`);
      return watching.map((r) => ({ rule: r.name, file: file.path, sha256, trigger: 'watch', dedupe: true, status: 'skipped', reason: `it is a link to ${file.linkTarget}; dropwork does not follow links`, payload: facts }));
    }
    const sha256 = this.store.cachedHash(file.path, file.size, file.mtimeMs)
      ?? (file.size <= SMALL_FILE_BYTES ? sha256SmallFile(file.path) : await sha256File(file.path));
    return watching.map((rule): NewJob => {
      const m = matchFile(rule, file.path);
      if (!m.match) return { rule: rule.name, file: file.path, sha256, trigger: 'watch', dedupe: true, status: 'skipped', reason: `not for this rule: ${m.why}`, payload: facts };
      return { rule: rule.name, file: file.path, sha256, trigger: 'watch', dedupe: true, payload: facts };
    });
  }
}

function isUnder(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
