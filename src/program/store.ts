/**
 * Programs and their examples in the history database (migration 0004). A rule's programs are
 * keyed by its task hash (do:, files, output): a program learned for other words is never run.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../queue/db.js';
import type { Rule } from '../rules/rule.js';

export type ProgramStatus = 'suggested' | 'approved' | 'rejected' | 'retired' | 'not_compilable';

/** One example's replay: did the program reproduce what the agent's job published? */
export interface ReplayResult {
  job: number;
  input: string;
  exact: boolean;
  /** How the program's outputs differed, in words; empty when exact. */
  differences: string[];
  exitCode: number | null;
  durationMs: number;
}

export interface Program {
  id: number;
  rule: string;
  taskHash: string;
  version: number;
  status: ProgramStatus;
  reason: string | null;
  source: string | null;
  sourceSha256: string | null;
  examples: number[];
  replay: ReplayResult[];
  approvedBy: string | null;
  compileJob: number | null;
  fallbacks: number;
  runs: number;
  createdAt: number;
}

interface ProgramRow {
  id: number; rule: string; task_hash: string; version: number; status: ProgramStatus; reason: string | null;
  source: string | null; source_sha256: string | null; examples: string; replay: string; approved_by: string | null;
  compile_job: number | null; fallbacks: number; runs: number; created_at: number;
}

function toProgram(r: ProgramRow): Program {
  return {
    id: r.id, rule: r.rule, taskHash: r.task_hash, version: r.version, status: r.status, reason: r.reason,
    source: r.source, sourceSha256: r.source_sha256, examples: JSON.parse(r.examples) as number[],
    replay: JSON.parse(r.replay) as ReplayResult[], approvedBy: r.approved_by, compileJob: r.compile_job,
    fallbacks: r.fallbacks, runs: r.runs, createdAt: r.created_at,
  };
}

/** What the program is learned for: the rule's task, which files, where it writes. */
export function taskHash(rule: Pick<Rule, 'do' | 'files' | 'output'>): string {
  return createHash('sha256').update(JSON.stringify([rule.do ?? '', rule.files, rule.output])).digest('hex').slice(0, 16);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The rule's newest program for its current task, whatever its status. */
export function currentProgram(db: Db, rule: Pick<Rule, 'name' | 'do' | 'files' | 'output'>): Program | undefined {
  const row = db.prepare("SELECT * FROM programs WHERE rule = ? AND task_hash = ? AND status != 'retired' ORDER BY id DESC LIMIT 1").get(rule.name, taskHash(rule)) as ProgramRow | undefined;
  return row ? toProgram(row) : undefined;
}

/** The program new files of the rule run, if one is approved for its current task. */
export function approvedProgram(db: Db, rule: Pick<Rule, 'name' | 'do' | 'files' | 'output'>): Program | undefined {
  const row = db.prepare("SELECT * FROM programs WHERE rule = ? AND task_hash = ? AND status = 'approved' ORDER BY id DESC LIMIT 1").get(rule.name, taskHash(rule)) as ProgramRow | undefined;
  return row ? toProgram(row) : undefined;
}

export function programsOf(db: Db, ruleName: string): Program[] {
  return (db.prepare('SELECT * FROM programs WHERE rule = ? ORDER BY id DESC').all(ruleName) as ProgramRow[]).map(toProgram);
}

export interface NewProgram {
  rule: string;
  taskHash: string;
  status: ProgramStatus;
  reason?: string | undefined;
  source?: string | undefined;
  examples: number[];
  replay: ReplayResult[];
  approvedBy?: string | undefined;
  compileJob?: number | undefined;
}

/** Adds a program as the rule's next version; an approved one retires the rule's earlier programs. */
export function addProgram(db: Db, p: NewProgram, now = Date.now()): Program {
  return db.transaction(() => {
    const { v } = db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM programs WHERE rule = ?').get(p.rule) as { v: number };
    if (p.status === 'approved') retireOthers(db, p.rule, -1, now);
    const row = db.prepare(`INSERT INTO programs (rule, task_hash, version, status, reason, source, source_sha256, examples, replay, approved_by, compile_job, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(p.rule, p.taskHash, v, p.status, p.reason ?? null, p.source ?? null, p.source === undefined ? null : sha256(p.source),
      JSON.stringify(p.examples), JSON.stringify(p.replay), p.approvedBy ?? null, p.compileJob ?? null, now, now);
    return toProgram(row as ProgramRow);
  })();
}

function retireOthers(db: Db, rule: string, keep: number, now: number): void {
  db.prepare("UPDATE programs SET status = 'retired', reason = COALESCE(reason, 'replaced by a newer program'), updated_at = ? WHERE rule = ? AND id != ? AND status IN ('approved', 'suggested')").run(now, rule, keep);
}

/** A person's (or `auto`'s) decision; only a suggested program can be approved or rejected. */
export function decide(db: Db, id: number, to: 'approved' | 'rejected', by: string, now = Date.now()): boolean {
  return db.transaction(() => {
    const r = db.prepare("UPDATE programs SET status = ?, approved_by = ?, updated_at = ? WHERE id = ? AND status = 'suggested'").run(to, by, now, id);
    if (r.changes === 0) return false;
    const { rule } = db.prepare('SELECT rule FROM programs WHERE id = ?').get(id) as { rule: string };
    if (to === 'approved') retireOthers(db, rule, id, now);
    return true;
  })();
}

/** Retires every live program of the rule (`--forget`, or its task changed). */
export function retire(db: Db, ruleName: string, reason: string, now = Date.now()): number {
  return db.prepare("UPDATE programs SET status = 'retired', reason = ?, updated_at = ? WHERE rule = ? AND status IN ('approved', 'suggested', 'not_compilable')").run(reason, now, ruleName).changes;
}

/** Retires programs learned for an earlier text of the rule; returns how many. */
export function retireStale(db: Db, rule: Pick<Rule, 'name' | 'do' | 'files' | 'output'>, now = Date.now()): number {
  return db.prepare("UPDATE programs SET status = 'retired', reason = 'the rule''s do:, files or output changed', updated_at = ? WHERE rule = ? AND task_hash != ? AND status IN ('approved', 'suggested', 'not_compilable')")
    .run(now, rule.name, taskHash(rule)).changes;
}

export function countRun(db: Db, id: number, fellBack: boolean): void {
  db.prepare(`UPDATE programs SET ${fellBack ? 'fallbacks = fallbacks + 1' : 'runs = runs + 1'}, updated_at = ? WHERE id = ?`).run(Date.now(), id);
}

export interface ExampleRow {
  job_id: number;
  rule: string;
  task_hash: string;
  dir: string;
  cost_usd: number;
  created_at: number;
}

export function addExample(db: Db, e: Omit<ExampleRow, 'created_at'>, now = Date.now()): void {
  db.prepare(`INSERT INTO program_examples (job_id, rule, task_hash, dir, cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (job_id) DO UPDATE SET rule = excluded.rule, task_hash = excluded.task_hash, dir = excluded.dir, cost_usd = excluded.cost_usd, created_at = excluded.created_at`).run(e.job_id, e.rule, e.task_hash, e.dir, e.cost_usd, now);
}

/** The rule's examples for its current task, oldest first; the newest `limit` of them. */
export function examplesOf(db: Db, rule: Pick<Rule, 'name' | 'do' | 'files' | 'output'>, limit = KEEP_EXAMPLES): ExampleRow[] {
  const rows = db.prepare(`SELECT e.* FROM program_examples e JOIN jobs j ON j.id = e.job_id
      WHERE e.rule = ? AND e.task_hash = ? AND j.status = 'succeeded' ORDER BY e.job_id DESC LIMIT ?`).all(rule.name, taskHash(rule), limit) as ExampleRow[];
  return rows.reverse();
}

/** The example folders of these jobs, in the order given (a pruned one is left out). */
export function exampleDirs(db: Db, jobs: readonly number[]): string[] {
  const get = db.prepare('SELECT dir FROM program_examples WHERE job_id = ?');
  return jobs.map((j) => (get.get(j) as { dir: string } | undefined)?.dir).filter((d): d is string => d !== undefined);
}

/** How many of a rule's newest examples are kept (older ones go, unless a live program was proven on them). */
export const KEEP_EXAMPLES = 10;

/** Example rows beyond the newest KEEP_EXAMPLES of the rule that no live program needs; removed, their folders returned. */
export function pruneExamples(db: Db, ruleName: string): string[] {
  return db.transaction(() => {
    const rows = db.prepare('SELECT job_id, dir FROM program_examples WHERE rule = ? ORDER BY job_id DESC').all(ruleName) as { job_id: number; dir: string }[];
    const needed = new Set(programsOf(db, ruleName).filter((p) => p.status === 'approved' || p.status === 'suggested').flatMap((p) => p.examples));
    const gone = rows.slice(KEEP_EXAMPLES).filter((r) => !needed.has(r.job_id));
    const del = db.prepare('DELETE FROM program_examples WHERE job_id = ?');
    for (const r of gone) del.run(r.job_id);
    return gone.map((r) => r.dir);
  })();
}
