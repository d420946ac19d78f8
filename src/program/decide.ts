/**
 * What a person sees of a rule's program and decides about it, shared by
 * `dropwork rules program` and the dashboard (GET/POST /api/rules/NAME/program).
 */
import type { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';
import { currentProgram, decide, examplesOf, programsOf, retire, type Program } from './store.js';

export type Decision = 'approve' | 'reject' | 'forget';

/** The average model cost of the program's example jobs: what each file it does saves. */
export function modelCostPerFile(store: Store, program: Program): number {
  if (program.examples.length === 0) return 0;
  const row = store.db.prepare('SELECT AVG(cost_usd) AS c FROM jobs WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))').get(JSON.stringify(program.examples)) as { c: number | null };
  return row.c ?? 0;
}

/**
 * What the program's files saved: each would have cost about `modelCostPerFile`, less what its
 * jobs still spent (a rule's if: is still the small model's, unless decided before for that content).
 */
export function savedBy(store: Store, p: Program, perFile = modelCostPerFile(store, p)): number {
  const row = store.db.prepare("SELECT COALESCE(SUM(cost_usd), 0) AS c FROM jobs WHERE rule = ? AND runner = 'program' AND program_version = ? AND status = 'succeeded'").get(p.rule, p.version) as { c: number };
  return Math.max(0, perFile * p.runs - row.c);
}

/** The rule's live program (any status but retired), by the rule's current text when known. */
export function liveProgram(store: Store, name: string, rule?: Rule): Program | undefined {
  return rule ? currentProgram(store.db, rule) : programsOf(store.db, name).find((x) => x.status !== 'retired');
}

export function programView(store: Store, p: Program): Record<string, unknown> {
  const perFile = modelCostPerFile(store, p);
  return {
    rule: p.rule, version: p.version, status: p.status, reason: p.reason, approved_by: p.approvedBy,
    compile_job: p.compileJob, examples: p.examples, replay: p.replay, runs: p.runs, fallbacks: p.fallbacks,
    model_cost_per_file_usd: perFile, saved_usd: savedBy(store, p, perFile), source_sha256: p.sourceSha256, source: p.source,
  };
}

/** When the rule has no program: how far it is in learning one. */
export function noProgramView(store: Store, name: string, rule?: Rule): Record<string, unknown> {
  return { rule: name, program: null, examples: rule ? examplesOf(store.db, rule).length : 0, compile_after: rule?.compile.after ?? null };
}

/** Applies a decision; the program as it is after it, or why it could not be made. */
export function decideProgram(store: Store, name: string, decision: Decision, by: string, rule?: Rule): { ok: true; program?: Program; retired?: number } | { ok: false; why: string } {
  if (decision === 'forget') return { ok: true, retired: retire(store.db, name, `forgotten ${by}`) };
  const current = liveProgram(store, name, rule);
  if (!current || current.status !== 'suggested') return { ok: false, why: `${name} has no program waiting for a decision${current ? ` (v${current.version} is ${current.status.replace('_', ' ')})` : ''}` };
  decide(store.db, current.id, decision === 'approve' ? 'approved' : 'rejected', by);
  return { ok: true, program: programsOf(store.db, name).find((x) => x.id === current.id) ?? current };
}
