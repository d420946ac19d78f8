import type { Db } from './db.js';

/** What a rule made of one path the last time it saw it. */
export interface DropRecord {
  rule: string;
  path: string;
  size: number;
  mtime_ms: number;
  rule_def: string;
  job_id: number | null;
}

/** A rule that published some content, and the rules that content came through. */
export interface Producer {
  rule: string;
  job_id: number;
  lineage: string[];
}

/**
 * The intake's memory (tables drops and produced): which files each rule has accounted for, and
 * which content came out of which rule. Kept beside the job queue, in the same database, so a
 * job and the record that explains it commit together.
 */
export class Drops {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = {
      get: db.prepare('SELECT * FROM drops WHERE rule = ? AND path = ?'),
      put: db.prepare(`INSERT INTO drops (rule, path, size, mtime_ms, rule_def, job_id) VALUES (@rule, @path, @size, @mtime_ms, @rule_def, @job_id)
        ON CONFLICT (rule, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, rule_def = excluded.rule_def, job_id = excluded.job_id`),
      forget: db.prepare('DELETE FROM drops WHERE path = ?'),
      forgetUnder: db.prepare("DELETE FROM drops WHERE path = ? OR substr(path, 1, length(?) + 1) = ? || '/'"),
      took: db.prepare("SELECT 1 FROM jobs WHERE rule = ? AND sha256 = ? AND trigger != 'schedule' AND (dedupe_key IS NOT NULL OR status IN ('succeeded', 'failed')) LIMIT 1"),
      producers: db.prepare('SELECT rule, job_id, lineage FROM produced WHERE sha256 = ?'),
      produce: db.prepare('INSERT INTO produced (sha256, rule, job_id, lineage) VALUES (?, ?, ?, ?) ON CONFLICT (sha256, rule, job_id) DO NOTHING'),
    };
  }

  get(rule: string, path: string): DropRecord | undefined {
    return this.stmt.get.get(rule, path) as DropRecord | undefined;
  }

  put(rec: DropRecord): void {
    this.stmt.put.run(rec);
  }

  /** The path left the inbox: if it comes back, that is a new drop. */
  forget(path: string, folder = false): void {
    if (folder) this.stmt.forgetUnder.run(path, path, path);
    else this.stmt.forget.run(path);
  }

  /** Whether `rule` ever ran on this content as its input (not a skipped row about it). */
  tookAsInput(rule: string, sha256: string): boolean {
    return this.stmt.took.get(rule, sha256) !== undefined;
  }

  producers(sha256: string): Producer[] {
    return (this.stmt.producers.all(sha256) as { rule: string; job_id: number; lineage: string }[])
      .map((r) => ({ rule: r.rule, job_id: r.job_id, lineage: JSON.parse(r.lineage) as string[] }));
  }

  /** Every rule the content came through, by any route. */
  lineage(sha256: string): Set<string> {
    return new Set(this.producers(sha256).flatMap((p) => p.lineage));
  }

  /**
   * `rule` (job `jobId`, working on content `inputSha`) is about to publish `outputs`: recorded
   * before they appear, so the watcher can never see one before it is known.
   */
  produce(rule: string, jobId: number, inputSha: string | null, outputs: string[]): void {
    const lineage = JSON.stringify([...new Set([...(inputSha ? this.lineage(inputSha) : []), rule])].sort());
    for (const sha of new Set(outputs)) this.stmt.produce.run(sha, rule, jobId, lineage);
  }
}
