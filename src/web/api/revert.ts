import { publishLockFile } from '../../run/execute.js';
import { blobsFor, jobsOfRuleBetween, planView, revertJobs } from '../../undo/revert.js';
import { parseWhen } from '../../undo/time.js';
import { dashboardActor, type Actor } from '../../users/actor.js';
import type { WebDeps } from '../deps.js';
import { HttpError, optionalString } from '../http.js';
import { jobRow } from './jobs.js';

function flags(body: Record<string, unknown>): { dryRun: boolean; cascade: boolean } {
  return { dryRun: body.dry_run === true, cascade: body.cascade === true };
}

/**
 * POST /api/jobs/ID/revert {dry_run?, cascade?}: the same plan as `dropwork jobs revert`. A dry
 * run answers 200 whatever it finds (the page shows it as a preview); a refused revert is a 409.
 */
export function revertJob(deps: WebDeps, raw: string | undefined, body: Record<string, unknown>, actor: Actor = dashboardActor()): unknown {
  const row = jobRow(deps, raw);
  const { dryRun, cascade } = flags(body);
  const r = revertJobs(deps.store, blobsFor(deps.paths), { jobs: [row.id], cascade, dryRun, ...actor, lock: publishLockFile(deps.paths) });
  if (!r.ok && !dryRun) throw new HttpError(409, r.why);
  if (r.ok && !dryRun) deps.wake?.();
  return planView(r, dryRun);
}

/** POST /api/rules/NAME/revert {since, until?, dry_run?, cascade?}: the rule's jobs in that window. */
export function revertRule(deps: WebDeps, name: string | undefined, body: Record<string, unknown>, actor: Actor = dashboardActor()): unknown {
  const rawSince = optionalString(body, 'since');
  if (!name) throw new HttpError(404, 'no rule');
  if (!rawSince) throw new HttpError(400, 'say from when: "since" such as "2026-11-30 14:00", "2h" or "today"');
  const since = parseWhen(rawSince);
  const rawUntil = optionalString(body, 'until');
  const until = rawUntil ? parseWhen(rawUntil) : Date.now();
  if (since === undefined || until === undefined) throw new HttpError(400, `"${since === undefined ? rawSince : rawUntil ?? ''}" is not a time: try "2026-11-30 14:00", "2h", "today"`);
  const { dryRun, cascade } = flags(body);
  const jobs = jobsOfRuleBetween(deps.store, name, since, until);
  const r = revertJobs(deps.store, blobsFor(deps.paths), { jobs, cascade, dryRun, ...actor, lock: publishLockFile(deps.paths) });
  if (!r.ok && !dryRun) throw new HttpError(409, r.why);
  return planView(r, dryRun);
}
