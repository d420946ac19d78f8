import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { jobLine } from '../human.js';
import { heldPayload } from '../run/approval.js';
import { Events } from '../events.js';
import { createLogger } from '../log.js';
import { runningPid } from '../pidfile.js';
import { FINAL, toView, type JobRow } from '../queue/status.js';
import { openStore } from '../queue/open.js';
import type { Store } from '../queue/store.js';
import { Worker } from '../queue/worker.js';
import { filesTake, matchFile } from '../rules/match.js';
import { RuleSet } from '../rules/registry.js';
import { noRuleNamed } from '../rules/names.js';
import { sha256File } from '../watch/fingerprint.js';
import { listInbox } from '../watch/scan.js';
import { loadPlugins } from '../plugin-list.js';
import { formatBytes } from '../sandbox/limits.js';
import { inboxFile } from '../team/travel.js';
import { CliError, paths, printJson } from './shared.js';

export interface RunOptions {
  rule?: string;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

/**
 * `run FILE`: queue a file by hand. With the daemon up it picks the job up; without it, this
 * process runs the job itself, so the command works either way. `run --rule NAME` with no FILE
 * runs a scheduled rule now, to try it before it fires.
 */
export async function runFile(file: string | undefined, opts: RunOptions): Promise<number> {
  const p = paths();
  const set = RuleSet.of(p);
  set.reload();
  if (file === undefined) {
    if (!opts.rule) throw new CliError('name a FILE to run, or a scheduled rule to run now with --rule NAME');
    return finish(set, await queueScheduled(set, opts.rule, opts), opts);
  }
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new CliError(`${abs} does not exist`);
  }
  if (!st.isFile()) throw new CliError(`${abs} is not a file`);
  const rules = opts.rule ? [set.rules.get(opts.rule)].filter((r) => r !== undefined) : set.list().filter((r) => matchFile(r, abs).match);
  if (opts.rule && rules.length === 0) throw new CliError(noRuleNamed(opts.rule, [...set.rules.keys()]));
  if (rules.length === 0) throw new CliError(`no rule matches ${abs}; name one with --rule (see: dropwork rules test RULE FILE)`);
  const named = opts.rule ? rules[0] : undefined;
  const takes = named ? filesTake(named, abs) : { ok: true as const };
  if (named && !takes.ok) {
    if (!opts.force) throw new CliError(`rule "${named.name}" would not take ${path.basename(abs)}: ${takes.why}; add --force to run it anyway`);
    if (!opts.json) process.stdout.write(`rule "${named.name}" would not take ${path.basename(abs)} (${takes.why}); running it anyway, as --force says\n`);
  }
  const sha256 = await sha256File(abs);
  const store = openStore(p);
  const jobs: JobRow[] = [];
  try {
    for (const rule of rules) {
      // A file outside the rule's inboxes (or any file, on a team) travels with its job: a worker
      // runs only such a copy or a file in its own inboxes (team/travel.ts).
      const travels = store.carriesFiles || !inboxFile(abs, rule).ok;
      if (travels && st.size > rule.maxFileMb * 1024 * 1024) throw new CliError(`${abs} is ${formatBytes(st.size)}, more than rule "${rule.name}"'s max_file_mb: ${rule.maxFileMb}; a file outside the rule's inboxes travels with its job, up to that size`);
      const bytes = travels ? fs.readFileSync(abs) : undefined;
      const row = store.db.transaction(() => {
        const r = store.enqueue({ rule: rule.name, file: abs, sha256, trigger: 'manual', dedupe: !opts.force, definition: rule.definition, payload: { size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs } });
        if (r && bytes) store.keepFile(r.id, path.basename(abs), bytes, sha256);
        return r;
      })();
      if (row) {
        // The daemon, seeing this file in an inbox later, knows it is accounted for.
        store.drops.put({ rule: rule.name, path: abs, size: st.size, mtime_ms: st.mtimeMs, rule_def: rule.definition, job_id: row.id });
        jobs.push(row);
        if (!opts.json) process.stdout.write(`job ${row.id} queued for rule "${rule.name}"\n`);
      } else if (!opts.json) {
        process.stdout.write(`rule "${rule.name}" already processed this content; add --force to run it again\n`);
      }
    }
  } finally {
    store.close();
  }
  return finish(set, jobs, opts);
}

/**
 * A scheduled rule, now: one job over its `input:` folder (trigger `manual`: a person asked, so
 * the schedule's own next firing is not held back by it), or, for a rule that sweeps inboxes,
 * one job per file waiting there, as its firing would queue them.
 */
async function queueScheduled(set: RuleSet, name: string, opts: RunOptions): Promise<JobRow[]> {
  const rule = set.rules.get(name);
  if (!rule) throw new CliError(noRuleNamed(name, [...set.rules.keys()]));
  if (!rule.schedule) throw new CliError(`rule "${name}" has no schedule: run it on a file with: dropwork run FILE --rule ${name}`);
  const say = (line: string): void => void (opts.json || process.stdout.write(`${line}\n`));
  const store = openStore(paths());
  try {
    if (rule.watch.length === 0) {
      if (rule.actions) throw new CliError(`rule "${name}" has steps but no inboxes: there is nothing for it to act on`);
      const busy = store.db.prepare("SELECT id FROM jobs WHERE rule = ? AND file IS NULL AND status IN ('queued', 'running') LIMIT 1").get(rule.name) as { id: number } | undefined;
      if (busy && !opts.force) {
        say(`job ${busy.id} of rule "${name}" is still queued or running; add --force to queue another`);
        return [];
      }
      const row = store.enqueue({ rule: rule.name, file: null, sha256: null, trigger: 'manual', dedupe: false, payload: { fired_at: new Date().toISOString(), by_hand: true } });
      if (!row) throw new CliError('the queue refused the job');
      say(`job ${row.id} queued for scheduled rule "${name}", now (trigger: manual; its schedule "${rule.schedule}" goes on as before)`);
      return [row];
    }
    const outputs = set.list().map((r) => r.output);
    const files = rule.watch.flatMap((folder) => listInbox(folder, rule.recursive, outputs)).filter((f) => matchFile(rule, f).match);
    const jobs: JobRow[] = [];
    for (const file of files) {
      const st = fs.statSync(file);
      const row = store.enqueue({ rule: rule.name, file, sha256: await sha256File(file), trigger: 'manual', dedupe: !opts.force, payload: { size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs } });
      if (row) jobs.push(row);
    }
    say(`scheduled rule "${name}", now (trigger: manual): ${files.length} file(s) in ${rule.watch.join(', ')}, ${jobs.length} job(s) queued${files.length > jobs.length ? ` (${files.length - jobs.length} already processed; --force runs them again)` : ''}`);
    return jobs;
  } finally {
    store.close();
  }
}

/** Runs the jobs here when no daemon does, and reports them when they end (or were only queued). */
async function finish(set: RuleSet, jobs: JobRow[], opts: RunOptions): Promise<number> {
  const p = paths();
  if (jobs.length === 0) return opts.json ? (printJson([]), 0) : 0;
  const store = openStore(p);
  try {
    const daemonUp = runningPid(p.pidFile) !== undefined;
    if (!daemonUp) await runHere(store, set, jobs.map((j) => j.id));
    else if (!opts.wait) return opts.json ? (printJson(jobs.map(toView)), 0) : 0;
    const done = await waitFor(store, jobs.map((j) => j.id));
    if (opts.json) printJson(done.map(toView));
    else for (const j of done) process.stdout.write(`${jobLine(j.id, j.status, j.reason, heldPayload(j) !== undefined)}${JSON.parse(j.outputs).length ? `\n  ${(JSON.parse(j.outputs) as string[]).join('\n  ')}` : ''}\n`);
    return done.every((j) => j.status === 'succeeded' || j.status === 'waiting') ? 0 : 1;
  } finally {
    store.close();
  }
}

async function runHere(store: Store, set: RuleSet, ids: number[]): Promise<void> {
  await loadPlugins();
  const p = paths();
  const config = loadConfig(p.configFile).config;
  const worker = new Worker({ store, config: () => config, rules: () => set.rules, paths: p, events: new Events(), log: createLogger({ dir: p.logsDir, level: config.log_level }), pollMs: 100 });
  worker.start();
  await waitFor(store, ids);
  await worker.stop(0);
}

async function waitFor(store: Store, ids: number[]): Promise<JobRow[]> {
  for (;;) {
    const rows = ids.map((id) => store.get(id)).filter((r): r is JobRow => r !== undefined);
    if (rows.every((r) => FINAL.includes(r.status) || r.status === 'waiting')) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
}
