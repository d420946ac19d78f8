import fs from 'node:fs';
import path from 'node:path';
import { dryRun } from '../../commands/rules.js';
import { toView } from '../../queue/status.js';
import { isIgnoredName, isInside } from '../../rules/match.js';
import type { Rule } from '../../rules/rule.js';
import { needsApproval } from '../../run/approval.js';
import { describeNetwork } from '../../sandbox/egress/allowlist.js';
import { missingInboxes } from '../../watch/folders.js';
import { currentProgram } from '../../program/store.js';
import { walkFolder } from '../../watch/scan.js';
import type { WebDeps } from '../deps.js';
import { HttpError, optionalString } from '../http.js';

/** The line an error points at, so the page can show it under the message. */
function excerpt(file: string, line: number): string | null {
  try {
    const text = fs.readFileSync(file, 'utf8').split('\n')[line - 1];
    return text === undefined ? null : text.slice(0, 200);
  } catch {
    return null;
  }
}

function describe(rule: Rule): string {
  if (rule.do) return rule.do.trim();
  const where = (target: string): string => (target === '.' || target === './' ? 'the outputs folder' : target);
  const steps = (rule.actions ?? []).map((a) => (a.kind === 'rename' ? `rename to ${a.target}` : `${a.kind} into ${where(a.target)}`));
  const text = steps.join(', then ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** GET /api/rules: every rule with its last runs, and every problem with its file, line and column. */
export function listRules(deps: WebDeps): unknown {
  const set = deps.ruleSet();
  const problems = set.errors.map((e) => ({ ...e.location, message: e.detail, text: e.message, excerpt: excerpt(e.location.file, e.location.line) }));
  const rules = set.list().map((rule) => {
    const stale = set.stale.includes(rule.source.file);
    return {
      name: rule.name,
      file: rule.source.file,
      line: rule.source.line,
      kind: rule.actions ? 'steps' : 'agent',
      description: describe(rule),
      if: rule.if ?? null,
      watch: rule.watch,
      /** "inbox ~/Dropbox/Scans does not exist; ..." for each watched folder that is missing. */
      missing_inboxes: missingInboxes([rule], deps.paths.files).map((m) => m.message),
      files: rule.files,
      output: rule.output,
      schedule: rule.schedule ?? null,
      approve: rule.approve,
      /** "network: all (...)", "network: only api.notion.com", or null for none: a grant is always shown. */
      network: rule.do && rule.sandbox.network !== false ? describeNetwork(rule.sandbox.network) : null,
      holds_next_job: needsApproval(rule, deps.store),
      after: rule.after.kind === 'move' ? `move to ${rule.after.folder}` : rule.after.kind,
      valid: !stale,
      problem: stale ? 'its file has errors; the last valid version keeps running until it is fixed' : null,
      last_runs: deps.store.list({ rule: rule.name, limit: 5 }).map(toView),
      program: programSummary(deps, rule),
    };
  });
  // A host with role: work watches no inbox: its page offers no file of one to test.
  return { rules, problems, rules_folder: deps.paths.rulesDir, collects: deps.config().role !== 'work' };
}

/** The rule's learned program in a few words (details: GET /api/rules/NAME/program). */
function programSummary(deps: WebDeps, rule: Rule): { version: number; status: string; reason: string | null } | null {
  const p = rule.do ? currentProgram(deps.store.db, rule) : undefined;
  return p ? { version: p.version, status: p.status, reason: p.reason } : null;
}

function ruleNamed(deps: WebDeps, name: string | undefined): Rule {
  const rule = name ? deps.ruleSet().rules.get(name) : undefined;
  if (!rule) throw new HttpError(404, `no rule named "${name ?? ''}"`);
  return rule;
}

const MAX_FILES = 200;

/** The files in a rule's inboxes, newest first: what the dry run may be tried on. */
export function inboxFiles(rule: Rule): { path: string; name: string; relative: string; size: number; modified: string }[] {
  const found: { path: string; name: string; relative: string; size: number; modified: string; ms: number }[] = [];
  const skip = (_full: string, e: fs.Dirent): boolean => isIgnoredName(e.name);
  for (const inbox of rule.watch) {
    walkFolder(inbox, { recursive: rule.recursive, maxDepth: 4, skip, done: () => found.length >= MAX_FILES * 5 }, (full, e) => {
      if (!e.isFile()) return;
      const st = fs.statSync(full, { throwIfNoEntry: false });
      if (st) found.push({ path: full, name: e.name, relative: path.relative(inbox, full), size: st.size, modified: st.mtime.toISOString(), ms: st.mtimeMs });
    });
  }
  return found.sort((a, b) => b.ms - a.ms).slice(0, MAX_FILES).map(({ ms: _ms, ...f }) => f);
}

export function listInbox(deps: WebDeps, name: string | undefined): unknown {
  const rule = ruleNamed(deps, name);
  return { rule: rule.name, inboxes: rule.watch, files: inboxFiles(rule) };
}

/**
 * POST /api/rules/NAME/test {file}: the dry run of `dropwork rules test`, for a file in the
 * rule's own inboxes only; the dashboard never reads a path of the caller's choosing.
 */
export async function testRule(deps: WebDeps, name: string | undefined, body: Record<string, unknown>): Promise<unknown> {
  const rule = ruleNamed(deps, name);
  const file = optionalString(body, 'file');
  if (!file) throw new HttpError(400, 'choose a file from the rule\'s inbox');
  const listed = inboxFiles(rule).find((f) => f.path === file);
  const real = listed ? fs.realpathSync(listed.path) : undefined;
  const inInbox = real !== undefined && rule.watch.some((w) => isInside(real, fs.realpathSync(w)));
  if (!listed || !inInbox) throw new HttpError(403, 'refused: only files in the rule\'s inboxes can be tried');
  const result = await dryRun(rule, listed.path);
  if (result.match && needsApproval(rule, deps.store)) result.steps.push('would wait for your approval before publishing anything');
  return result;
}
