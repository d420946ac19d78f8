import { publishLockFile } from '../../run/execute.js';
import { blobsFor, jobsOfRuleBetween, planView, revertJobs } from '../../undo/revert.js';
import { parseWindow, windowView, WHEN_FORMS } from '../../undo/time.js';
import { knownRuleNames, noRuleNamed } from '../../rules/names.js';
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

/**
 * POST /api/rules/NAME/revert {since, until?, dry_run?, cascade?}: the rule's jobs in that window,
 * which the answer gives as `window` (UTC ISO times and the sentence in local time): the page
 * shows it with the preview and sends those exact times back to revert what it previewed.
 */
export function revertRule(deps: WebDeps, name: string | undefined, body: Record<string, unknown>, actor: Actor = dashboardActor()): unknown {
  const known = knownRuleNames(deps.ruleSet().rules.keys(), deps.store);
  if (!name || !known.includes(name)) throw new HttpError(404, noRuleNamed(name ?? '', known));
  const parsed = parseWindow(optionalString(body, 'since'), optionalString(body, 'until'));
  if (!parsed.ok) throw new HttpError(400, `${parsed.why} (say ${WHEN_FORMS})`);
  const { dryRun, cascade } = flags(body);
  const jobs = jobsOfRuleBetween(deps.store, name, parsed.window.since, parsed.window.until);
  const r = revertJobs(deps.store, blobsFor(deps.paths), { jobs, cascade, dryRun, ...actor, lock: publishLockFile(deps.paths) });
  if (!r.ok && !dryRun) throw new HttpError(409, r.why);
  return { ...planView(r, dryRun), window: windowView(parsed.window) };
}
