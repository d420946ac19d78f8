/** The dashboard's part: GET and POST /api/rules/NAME/program (see decide.ts). */
import { dashboardActor, type Actor } from '../users/actor.js';
import type { WebDeps } from '../web/deps.js';
import { HttpError, optionalString } from '../web/http.js';
import { decideProgram, liveProgram, noProgramView, programView, type Decision } from './decide.js';

export function getProgram(deps: WebDeps, name: string | undefined): unknown {
  const rule = name ? deps.ruleSet().rules.get(name) : undefined;
  if (!name || !rule) throw new HttpError(404, `no rule named "${name ?? ''}"`);
  const p = liveProgram(deps.store, name, rule);
  return p ? programView(deps.store, p) : noProgramView(deps.store, name, rule);
}

export function postProgram(deps: WebDeps, name: string | undefined, body: Record<string, unknown>, actor: Actor = dashboardActor()): unknown {
  const rule = name ? deps.ruleSet().rules.get(name) : undefined;
  if (!name || !rule) throw new HttpError(404, `no rule named "${name ?? ''}"`);
  const decision = optionalString(body, 'decision');
  if (decision !== 'approve' && decision !== 'reject' && decision !== 'forget') throw new HttpError(400, 'decision must be approve, reject or forget');
  const r = decideProgram(deps.store, name, decision satisfies Decision, actor.by, rule);
  if (!r.ok) throw new HttpError(409, r.why);
  return getProgram(deps, name);
}
