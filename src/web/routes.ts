import type { ServerResponse } from 'node:http';
import { everyKey } from '../agent/credentials.js';
import { runningPid } from '../pidfile.js';
import { approve, cancel, deny, jobDetail, listJobs, retry } from './api/jobs.js';
import { serveFile, serveStaged } from './api/files.js';
import { listInbox, listRules, testRule } from './api/rules.js';
import { revertJob, revertRule } from './api/revert.js';
import { spending } from './api/spending.js';
import { teamView } from '../team/hosts.js';
import { getProgram, postProgram } from '../program/web.js';
import type { WebDeps } from './deps.js';
import { sendJson as sendJsonMasked } from './http.js';
import type { LiveUpdates } from './live.js';
import type { Router } from './router.js';
import { stillSignedIn, type Session } from './session.js';

/** The JSON API the pages use, and scripts may too (documented in the README). */
export function routes(router: Router, deps: WebDeps, live: LiveUpdates): void {
  const sendJson = (res: ServerResponse, status: number, value: unknown): void => sendJsonMasked(res, status, value, everyKey(deps.paths.home));
  router
    .get('/api/status', ({ res }) => sendJson(res, 200, status(deps)))
    .get('/api/me', ({ res, session }) => sendJson(res, 200, me(session)))
    .get('/api/jobs', ({ res, url }) => sendJson(res, 200, listJobs(deps, url)))
    .get('/api/jobs/:id', ({ res, params }) => sendJson(res, 200, jobDetail(deps, params.id)))
    .get('/api/jobs/:id/staged/:n', ({ res, params, url }) => serveStaged(deps, res, params.id, params.n, url))
    .post('/api/jobs/:id/approve', ({ res, params, actor }) => sendJson(res, 200, approve(deps, params.id, actor)))
    .post('/api/jobs/:id/deny', ({ res, params, body, actor }) => sendJson(res, 200, deny(deps, params.id, body, actor)))
    .post('/api/jobs/:id/retry', ({ res, params, actor }) => sendJson(res, 200, retry(deps, params.id, actor)))
    .post('/api/jobs/:id/cancel', ({ res, params, actor }) => sendJson(res, 200, cancel(deps, params.id, actor)))
    .post('/api/jobs/:id/revert', ({ res, params, body, actor }) => sendJson(res, 200, revertJob(deps, params.id, body, actor)))
    .get('/api/rules', ({ res }) => sendJson(res, 200, listRules(deps)))
    .get('/api/rules/:name/inbox', ({ res, params }) => sendJson(res, 200, listInbox(deps, params.name)))
    // A dry run changes nothing: a viewer may try a rule on a file.
    // A test may ask the model (`if:`), which costs: the approver's, like every other spending.
    .post('/api/rules/:name/test', async ({ res, params, body }) => sendJson(res, 200, await testRule(deps, params.name, body)), 'approver')
    .post('/api/rules/:name/revert', ({ res, params, body, actor }) => sendJson(res, 200, revertRule(deps, params.name, body, actor)))
    .get('/api/rules/:name/program', ({ res, params }) => sendJson(res, 200, getProgram(deps, params.name)))
    .post('/api/rules/:name/program', ({ res, params, body, actor }) => sendJson(res, 200, postProgram(deps, params.name, body, actor)))
    .get('/api/spending', ({ res, url }) => sendJson(res, 200, spending(deps, url)))
    .get('/api/hosts', ({ res }) => sendJson(res, 200, deps.config().database ? teamView(deps.store) : { hosts: [], rule_differences: [] }))
    .get('/api/files', ({ res, url }) => serveFile(deps, res, url))
    .get('/api/events', ({ req, res, session }) => live.attach(req, res, stillSignedIn(deps.store.users, session.person)));
}

/** Who the page is signed in as, for its header; the token names nobody and may do everything. */
function me(session: Omit<Session, 'secret'>): unknown {
  return { name: session.person?.name ?? null, role: session.role, via: session.person ? 'person' : 'token' };
}

function status(deps: WebDeps): unknown {
  const set = deps.ruleSet();
  return {
    daemon: { running: runningPid(deps.paths.pidFile) !== undefined, pid: runningPid(deps.paths.pidFile) ?? null },
    home: deps.paths.home,
    rules: set.rules.size,
    rule_problems: set.errors.length,
    queue: deps.store.counts(),
    spent_today_usd: deps.store.spentToday(),
    daily_budget_usd: deps.config().daily_budget_usd,
    live: deps.events !== undefined,
  };
}
