import path from 'node:path';
import { errorMessage } from '../errors.js';
import { entryStat } from '../nofollow.js';
import { isInside } from '../rules/match.js';
import type { Paths } from '../paths.js';
import { withPublishLock } from '../publish/lock.js';
import type { Store } from '../queue/store.js';
import { applyStep, stepsByJob } from './apply.js';
import { actorData, type Actor } from '../users/actor.js';
import { Blobs } from './blobs.js';
import { removeEmptiedFolders } from './folders.js';
import { planRevert, type Plan, type Step } from './plan.js';

/** Which jobs, how, and who asked (`by` for the history, "by ana from the dashboard"; `who` in its data). */
export interface RevertRequest extends Actor {
  jobs: number[];
  /** Also revert later jobs that changed the same files, newest first. */
  cascade: boolean;
  dryRun: boolean;
  /** The publish lock (src/publish/lock.ts): a revert and a publish never touch one file at once. */
  lock?: string;
  /** Believe only changes this host marked as its own (seal.ts); always so on a team's database. */
  ownOnly?: boolean;
}

export type RevertResult =
  | { ok: true; plan: Plan; reverted: number[] }
  | { ok: false; plan: Plan; why: string };

export function blobsFor(paths: Pick<Paths, 'dataDir'>): Blobs {
  return new Blobs(path.join(paths.dataDir, 'undo', 'blobs'));
}

/** What a step does, in the user's words. */
export function describeStep(s: Step): string {
  switch (s.do) {
    case 'remove': return `remove ${s.path} (the job created it)`;
    case 'restore': return `put back the earlier version of ${s.path} (${s.to?.size ?? 0} bytes)`;
    case 'truncate': return `remove what the job added to ${s.path} (back to ${s.to?.size ?? 0} bytes)`;
    case 'return': return `move the original back from ${s.movedTo} to ${s.path}`;
  }
}

/** Why a plan cannot go ahead, in one message; undefined when it can. */
function refusal(plan: Plan): string | undefined {
  const lines = [
    ...plan.refused.map((r) => r.why),
    ...plan.blockers.map((b) => `job ${b.job}: ${b.why}`),
  ];
  if (lines.length === 0) return undefined;
  const later = [...new Set(plan.blockers.flatMap((b) => b.later))];
  const hint = later.length ? `\n--cascade also reverts the later job(s) ${later.join(', ')}, newest first` : '';
  return `nothing was changed:\n  ${lines.join('\n  ')}${hint}`;
}

/**
 * Puts back what jobs changed. Plans first and touches nothing unless every file is as the jobs
 * left it; then each job's steps run, newest job first, and the job becomes `reverted` in one
 * transaction with its last step. The revert is recorded before it starts, so one killed
 * half-way is finished by running it again or by the next daemon start (resumeReverts).
 */
export function revertJobs(store: Store, blobs: Blobs, req: RevertRequest): RevertResult {
  const plan = planRevert(store.db, blobs, req.jobs, req.cascade, req.ownOnly === true || store.carriesFiles);
  const why = refusal(plan);
  if (why) return { ok: false, plan, why };
  if (req.dryRun || plan.jobs.length === 0) return { ok: true, plan, reverted: [] };
  const record = store.db.prepare('INSERT INTO reverts (jobs, by, started_at) VALUES (?, ?, ?) RETURNING id').get(JSON.stringify(plan.jobs), req.by, Date.now()) as { id: number };
  const reverted = carryOut(store, blobs, plan, req.by, req.who, req.lock);
  store.db.prepare('UPDATE reverts SET finished_at = ? WHERE id = ?').run(Date.now(), record.id);
  return { ok: true, plan, reverted };
}

function carryOut(store: Store, blobs: Blobs, plan: Plan, by: string, who: string | undefined, lock: string | undefined): number[] {
  const mark = store.db.prepare("UPDATE jobs SET status = 'reverted', reverted_at = ?, reverted_by = ?, reason = ?, updated_at = ? WHERE id = ? AND status = 'succeeded'");
  const reverted: number[] = [];
  for (const [job, steps] of stepsByJob(plan)) {
    withPublishLock(lock, () => {
      for (const step of steps) {
        const outcome = applyStep(step, blobs);
        store.log(job, 'revert', `${outcome === 'done' ? '' : 'already done: '}${describeStep(step)}`);
      }
      const startedAt = store.get(job)?.started_at;
      const removedFiles = steps.flatMap((s) => (s.do === 'remove' ? [s.path] : []));
      if (startedAt) for (const dir of removeEmptiedFolders(removedFiles, startedAt)) store.log(job, 'revert', `remove the empty folder ${dir} (the job created it)`);
    });
    const at = Date.now();
    if (mark.run(at, by, `reverted ${by}`, at, job).changes === 1) {
      store.log(job, 'reverted', `reverted ${by}`, actorData({ by, who }));
      reverted.push(job);
    }
  }
  return reverted;
}

/**
 * Reverts a crash or kill cut short: run again to the end (each step knows when it is done).
 * Nobody is asked, so nothing is taken on the history's word: a revert row names jobs, and only
 * changes this host marked as its own are carried out (a row written into a team's database by
 * hand is refused), and only under `folders` (this host's rule folders and trash), each path
 * reached without following a link below them.
 */
export function resumeReverts(store: Store, blobs: Blobs, lock?: string, folders?: readonly string[]): { resumed: number[]; stuck: string[] } {
  const open = store.db.prepare('SELECT id, jobs, by FROM reverts WHERE finished_at IS NULL ORDER BY id').all() as { id: number; jobs: string; by: string }[];
  const resumed: number[] = [];
  const stuck: string[] = [];
  for (const r of open) {
    const jobs = jobsOf(r.jobs);
    const req = { jobs, cascade: false, by: String(r.by), ownOnly: true, ...(lock ? { lock } : {}) };
    const plan = revertJobs(store, blobs, { ...req, dryRun: true });
    const outside = plan.ok && folders ? plan.plan.steps.map((s) => unsafePath(s, folders)).find((why) => why !== undefined) : undefined;
    const result = !plan.ok || outside ? plan : revertJobs(store, blobs, { ...req, dryRun: false });
    if (result.ok && !outside) {
      store.db.prepare('UPDATE reverts SET finished_at = ? WHERE id = ?').run(Date.now(), r.id);
      resumed.push(...result.reverted);
    } else {
      stuck.push(`revert of job ${jobs.join(', ')}: ${outside ?? (result.ok ? '' : result.why)}`);
    }
  }
  return { resumed, stuck };
}

/** A revert row's job ids; anything else in it is dropped. */
function jobsOf(json: string): number[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((j): j is number => Number.isSafeInteger(j)) : [];
  } catch {
    return [];
  }
}

/** Why a step's files are not safe to touch unasked: outside every folder given, or a link on the way. */
function unsafePath(step: Step, folders: readonly string[]): string | undefined {
  const paths = step.do === 'return' ? [step.path, step.movedTo, ...(step.trashInfo ? [step.trashInfo] : [])] : [step.path];
  for (const p of paths) {
    const base = folders.find((f) => isInside(p, f));
    if (!base || path.resolve(p) !== p) return `${p} is outside this host's rule folders; nothing was changed`;
    try {
      entryStat(base, path.relative(base, p).split(path.sep).join('/'), p);
    } catch (err) {
      return `${errorMessage(err)}; nothing was changed`;
    }
  }
  return undefined;
}
/** Finished jobs of a rule in a time window, newest first: what `rules revert` reverts. */
export function jobsOfRuleBetween(store: Store, rule: string, since: number, until: number): number[] {
  return (store.db.prepare("SELECT id FROM jobs WHERE rule = ? AND status = 'succeeded' AND finished_at >= ? AND finished_at <= ? ORDER BY id DESC")
    .all(rule, since, until) as { id: number }[]).map((r) => r.id);
}

/** A plan as the JSON API and `--json` show it. */
export function planView(r: RevertResult, dryRun: boolean): Record<string, unknown> {
  return {
    ok: r.ok,
    ...(r.ok ? {} : { why: r.why }),
    dry_run: dryRun,
    jobs: r.plan.jobs,
    already_reverted: r.plan.alreadyReverted,
    steps: r.plan.steps.map((s) => ({ job: s.job, action: s.do, path: s.path, text: describeStep(s) })),
    blockers: r.plan.blockers,
    refused: r.plan.refused,
    reverted: r.ok ? r.reverted : [],
  };
}
