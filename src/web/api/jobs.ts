import fs from 'node:fs';
import path from 'node:path';
import { approveJob, DecisionError, denyJob, pendingChanges } from '../../approve/decide.js';
import { isJobStatus, toView, type JobRow, type JobView } from '../../queue/status.js';
import { AWAITING_APPROVAL, AWAITING_TOOL_APPROVAL, awaitsToolApproval, heldPayload } from '../../run/approval.js';
import { cancelJob, retryJob } from '../../run/control.js';
import { changesOf } from '../../undo/journal.js';
import { dashboardActor, type Actor } from '../../users/actor.js';
import type { WebDeps } from '../deps.js';
import { HttpError, optionalString } from '../http.js';
import { knownRuleNames, noRuleNamed } from '../../rules/names.js';

/** A job as the list shows it: the stable view, plus whether it waits for the person. */
export type JobSummary = JobView & { awaiting_approval: boolean };

function summary(row: JobRow): JobSummary {
  return { ...toView(row), awaiting_approval: heldPayload(row) !== undefined || awaitsToolApproval(row) };
}

/** Local midnight of a YYYY-MM-DD day, as the CLI and the budget count days. */
function dayStart(day: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new HttpError(400, `"${day}" is not a day such as 2025-01-31`);
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
}

function whole(raw: string | null, fallback: number, max: number, name: string): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `"${name}" takes a whole number`);
  return Math.min(n, max);
}

/** GET /api/jobs: newest first; ?status, ?rule, ?q (file name), ?day or ?since/?until, ?limit, ?offset. */
export function listJobs(deps: WebDeps, url: URL): unknown {
  const q = url.searchParams;
  const status = q.get('status') || undefined;
  if (status && !isJobStatus(status)) throw new HttpError(400, `"${status}" is not a job status`);
  const limit = whole(q.get('limit'), 50, 500, 'limit');
  const offset = whole(q.get('offset'), 0, Number.MAX_SAFE_INTEGER, 'offset');
  let since: number | undefined;
  let until: number | undefined;
  const day = q.get('day');
  if (day) {
    since = dayStart(day);
    const next = new Date(since);
    next.setDate(next.getDate() + 1);
    until = next.getTime();
  }
  if (q.get('since')) since = parseTime(q.get('since') as string, 'since');
  if (q.get('until')) until = parseTime(q.get('until') as string, 'until');
  const rule = q.get('rule') || undefined;
  if (rule) {
    // A rule removed since still has its jobs; a typo has none, and must not read as "no jobs".
    const known = knownRuleNames(deps.ruleSet().rules.keys(), deps.store);
    if (!known.includes(rule)) throw new HttpError(404, noRuleNamed(rule, known));
  }
  const rows = deps.store.list({ status: status as JobView['status'] | undefined, rule, search: q.get('q') || undefined, since, until, limit: limit + 1, offset });
  const held = deps.store.db.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'waiting' AND reason = ?").get(AWAITING_APPROVAL) as { n: number };
  // On a team each row says which host queued it and which ran it (its folder is that host's).
  return { jobs: rows.slice(0, limit).map(summary), has_more: rows.length > limit, limit, offset, counts: deps.store.counts(), awaiting_approval: held.n, team: Boolean(deps.config().database) };
}

function parseTime(raw: string, name: string): number {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? dayStart(raw) : Date.parse(raw);
  if (Number.isNaN(t)) throw new HttpError(400, `"${name}" takes a date or an ISO time`);
  return t;
}

export function jobRow(deps: WebDeps, raw: string | undefined): JobRow {
  const id = Number(raw);
  const row = Number.isInteger(id) && id > 0 ? deps.store.get(id) : undefined;
  if (!row) throw new HttpError(404, `no job ${raw ?? ''}`);
  return row;
}

/** GET /api/jobs/ID: the job, its step log (timeline and transcript) and, when held, the approval. */
export function jobDetail(deps: WebDeps, raw: string | undefined): unknown {
  const row = jobRow(deps, raw);
  const rule = deps.ruleSet().rules.get(row.rule);
  const held = heldPayload(row);
  const approval = held ? {
    outputs: held.staged.map((s, index) => ({ index, dest: s.dest, name: path.basename(s.dest), on_conflict: s.onConflict, exists: fs.existsSync(s.dest) })),
    changes: pendingChanges(row, rule),
  } : awaitsToolApproval(row) ? {
    // approve: tools: the connector call the job stopped before, as its reason shows it.
    tool_call: (row.reason ?? '').slice(AWAITING_TOOL_APPROVAL.length + 2),
    outputs: [],
    changes: [],
  } : undefined;
  const log = deps.store.logs(row.id).map((e) => ({ id: e.id, at: new Date(e.at).toISOString(), kind: e.kind, message: e.message, data: parseData(e.data) }));
  return {
    job: summary(row),
    rule: rule ? { exists: true, approve: rule.approve, kind: rule.actions ? 'steps' : 'agent' } : { exists: false },
    original: row.file ? { path: row.file, name: path.basename(row.file), available: fs.existsSync(row.file) } : null,
    approval: approval ?? null,
    /** Whether it published or changed anything, so whether a revert has anything to put back. */
    changed_files: JSON.parse(row.outputs).length > 0 || changesOf(deps.store.db, row.id).length > 0,
    /** Host names mean something only when hosts share one database. */
    team: Boolean(deps.config().database),
    log,
  };
}

function parseData(data: string | null): unknown {
  if (data === null) return null;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

function decided<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecisionError) throw new HttpError(409, err.message);
    throw err;
  }
}

export function approve(deps: WebDeps, raw: string | undefined, actor: Actor = dashboardActor()): unknown {
  const row = jobRow(deps, raw);
  const { job, done } = decided(() => approveJob({ store: deps.store, paths: deps.paths, events: deps.events, ...actor }, row.id, deps.ruleSet().rules));
  return { job: summary(job), done };
}

export function deny(deps: WebDeps, raw: string | undefined, body: Record<string, unknown>, actor: Actor = dashboardActor()): unknown {
  const row = jobRow(deps, raw);
  const job = decided(() => denyJob({ store: deps.store, paths: deps.paths, events: deps.events, ...actor }, row.id, optionalString(body, 'reason')));
  return { job: summary(job) };
}

/** As `dropwork jobs retry`: failed, skipped, cancelled and waiting jobs go back to the queue. */
export function retry(deps: WebDeps, raw: string | undefined, actor: Actor = dashboardActor()): unknown {
  const r = retryJob(deps.store, jobRow(deps, raw), actor);
  if (!r.ok) throw new HttpError(409, r.why);
  deps.events?.emit('job:queued', r.job);
  deps.wake?.();
  return { job: summary(r.job) };
}

/** As `dropwork jobs cancel`; a held job's staged outputs are discarded with it. */
export function cancel(deps: WebDeps, raw: string | undefined, actor: Actor = dashboardActor()): unknown {
  const r = cancelJob(deps.store, deps.paths.jobsDir, jobRow(deps, raw), actor);
  if (!r.ok) throw new HttpError(409, r.why);
  deps.events?.emit('job:cancelled', r.job);
  return { job: summary(r.job) };
}
