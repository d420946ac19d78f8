import path from 'node:path';
import { errorMessage, StoreUnavailable } from '../errors.js';
import { readFileUnder } from '../nofollow-files.js';
import { sha256Bytes } from './fingerprint.js';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import type { JobRow } from '../queue/status.js';
import { dedupeKey, type NewJob, type Store } from '../queue/store.js';
import { formatBytes } from '../sandbox/limits.js';
import type { Rule } from '../rules/rule.js';
import { decide, duplicateRow, type Decision, type Drop } from './decide.js';
import { tidyDuplicate } from './duplicates.js';

/**
 * Turns settled files into jobs. Files arrive one by one from the watchers; they are hashed a few
 * at a time and written in batches, so a burst of 10,000 drops costs a few dozen commits.
 */
export class Intake {
  private readonly waiting: (Drop & { forRules?: Rule[] })[] = [];
  private hashing = 0;
  private batch: Decision[] = [];
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
    /** On a team's database: the largest file that travels with its job (config max_file_mb). */
    private readonly travelLimitMb: () => number = () => 50,
  ) {
    // A duplicate that arrived while its first job was still queued or running gets its
    // `after:` once that job succeeded.
    events.on('job:succeeded', (job) => {
      for (const dup of store.duplicatesOf(job.id)) tidyDuplicate(store, rules(), dup, log);
    });
  }

  /**
   * A settled file. `forRules` names the rules to queue it for (a scheduled sweep); by default,
   * every rule that watches its inbox continuously.
   */
  offer(file: Drop, forRules?: Rule[]): void {
    this.waiting.push(forRules ? { ...file, forRules } : file);
    this.pump();
  }

  /** Whether files are waiting to be taken (a burst is arriving faster than it is queued). */
  get behind(): boolean {
    return this.waiting.length > 0 || this.batch.length > 0;
  }

  /** Resolves once everything offered so far is in the store (tests and benchmarks). */
  idle(): Promise<void> {
    if (this.hashing === 0 && this.waiting.length === 0 && this.batch.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  private pump(): void {
    while (this.hashing < this.parallel && this.waiting.length > 0) {
      const file = this.waiting.shift() as Drop & { forRules?: Rule[] };
      this.hashing++;
      const candidates = file.forRules ?? this.rules().filter((r) => r.watch.length > 0 && !r.schedule);
      decide(this.store, candidates, file)
        .then((decisions) => {
          this.batch.push(...decisions);
          const sha256 = decisions.find((d) => d.job?.sha256)?.job?.sha256;
          if (sha256 && file.linkTarget === undefined && !file.kind) this.hashes.push({ path: file.path, size: file.size, mtimeMs: file.mtimeMs, sha256 });
        })
        .catch((err: unknown) => this.log.warn('could not take a dropped file; the next rescan tries again', { file: file.path, error: String(err) }))
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
    const decisions = this.batch;
    const hashes = this.hashes;
    this.batch = [];
    this.hashes = [];
    if (decisions.length > 0) {
      // The hash and the drop records are kept in the same commit as the jobs: a file whose
      // hash is known has its jobs, which is what lets the rescan pass over it.
      let recorded: { added: JobRow[]; tidy: JobRow[] };
      try {
        recorded = this.store.db.transaction(() => {
          for (const h of hashes) this.store.rememberHash(h.path, h.size, h.mtimeMs, h.sha256);
          return this.record(decisions);
        })();
      } catch (err) {
        // A team's database is down: nothing of this batch was recorded, so its files are still
        // new to the next sweep, which runs when the database answers again (team.ts).
        if (!(err instanceof StoreUnavailable)) throw err;
        this.log.warn('could not queue dropped files: the database cannot be reached; they stay in their inboxes until it answers', { files: decisions.length });
        this.events.emit('store:down', err.message);
        recorded = { added: [], tidy: [] };
      }
      const { added, tidy } = recorded;
      for (const row of added) this.announce(row);
      for (const dup of tidy) tidyDuplicate(this.store, this.rules(), dup, this.log);
      if (added.some((r) => r.status === 'queued')) this.onQueued();
    }
    if (this.hashing === 0 && this.waiting.length === 0 && this.batch.length === 0) {
      const resolvers = this.idleResolvers;
      this.idleResolvers = [];
      resolvers.forEach((r) => r());
    }
  }

  /** Jobs and rows for a batch of decisions, and each drop's record; inside a transaction. */
  private record(decisions: Decision[]): { added: JobRow[]; tidy: JobRow[] } {
    const added: JobRow[] = [];
    const tidy: JobRow[] = [];
    const now = Date.now();
    for (const d of decisions) {
      const rec = this.store.drops.get(d.rule.name, d.file.path);
      const sameFile = rec && rec.size === d.file.size && rec.mtime_ms === d.file.mtimeMs;
      if (sameFile && rec.job_id !== d.basis) continue;
      let row: JobRow | undefined;
      if (d.job) {
        const job = this.store.carriesFiles ? this.travelling(d.job, d.file.size) : d.job;
        row = this.store.enqueue(job, now);
        if (row?.status === 'queued' && this.store.carriesFiles) row = this.pack(row) ?? row;
        if (!row && d.job.dedupe && d.job.sha256) {
          // The content is taken (maybe by a file earlier in this very batch): say by which job.
          const holder = this.store.byDedupeKey(dedupeKey(d.job.rule, d.job.definition ?? '', d.job.sha256));
          row = this.store.enqueue(holder ? duplicateRow(d.job, holder) : d.job, now);
          if (row && holder?.status === 'succeeded') tidy.push(row);
        }
        if (row) added.push(row);
      }
      this.store.drops.put({ rule: d.rule.name, path: d.file.path, size: d.file.size, mtime_ms: d.file.mtimeMs, rule_def: d.rule.definition, job_id: row?.id ?? d.keep ?? null });
    }
    return { added, tidy };
  }

  /** A file too large to travel with its job is skipped with that reason instead. */
  private travelling(job: NewJob, size: number): NewJob {
    const limit = this.travelLimitMb();
    if (!job.file || job.status === 'skipped' || size <= limit * 1024 * 1024) return job;
    return { ...job, status: 'skipped', reason: `the file is ${formatBytes(size)}; files up to max_file_mb: ${limit} (config.yaml) travel with their job to the host that runs it` };
  }

  /** Puts the file in the database beside its job, so any worker can run it. */
  private pack(row: JobRow): JobRow | undefined {
    try {
      // Read as the intake hashed it: opened without following a link below its inbox, and
      // sent only when it still holds the content the job was queued for.
      const inboxes = this.rules().find((r) => r.name === row.rule)?.watch ?? [];
      const content = readFileUnder(row.file as string, inboxes);
      if (row.sha256 && sha256Bytes(content) !== row.sha256) throw new Error('it changed while it was queued');
      this.store.keepFile(row.id, path.basename(row.file as string), content, row.sha256 ?? '');
      return undefined;
    } catch (err) {
      if (err instanceof StoreUnavailable) throw err;
      return this.store.move(row.id, 'skipped', { reason: `the file could not be read to send it with its job: ${errorMessage(err)}` }, { from: ['queued'] });
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
}
