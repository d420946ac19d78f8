import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { Events } from '../events.js';
import { createLogger } from '../log.js';
import { runningPid } from '../pidfile.js';
import { FINAL, toView, type JobRow } from '../queue/status.js';
import { Store } from '../queue/store.js';
import { Worker } from '../queue/worker.js';
import { matchFile } from '../rules/match.js';
import { RuleSet } from '../rules/registry.js';
import { sha256File } from '../watch/fingerprint.js';
import { loadPlugins } from '../plugin-list.js';
import { CliError, paths, printJson } from './shared.js';

export interface RunOptions {
  rule?: string;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

/**
 * `run FILE`: queue a file by hand. With the daemon up it picks the job up; without it, this
 * process runs the job itself, so the command works either way.
 */
export async function runFile(file: string, opts: RunOptions): Promise<number> {
  const p = paths();
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new CliError(`${abs} does not exist`);
  }
  if (!st.isFile()) throw new CliError(`${abs} is not a file`);
  const set = new RuleSet(p.rulesDir, p.home);
  set.reload();
  const rules = opts.rule ? [set.rules.get(opts.rule)].filter((r) => r !== undefined) : set.list().filter((r) => matchFile(r, abs).match);
  if (opts.rule && rules.length === 0) throw new CliError(`no rule named "${opts.rule}"`);
  if (rules.length === 0) throw new CliError(`no rule matches ${abs}; name one with --rule (see: dropwork rules test RULE FILE)`);
  const sha256 = await sha256File(abs);
  const store = new Store(p.dbFile);
  try {
    const jobs: JobRow[] = [];
    for (const rule of rules) {
      const row = store.enqueue({ rule: rule.name, file: abs, sha256, trigger: 'manual', dedupe: !opts.force, definition: rule.definition, payload: { size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs } });
      if (row) {
        // The daemon, seeing this file in an inbox later, knows it is accounted for.
        store.drops.put({ rule: rule.name, path: abs, size: st.size, mtime_ms: st.mtimeMs, rule_def: rule.definition, job_id: row.id });
        jobs.push(row);
        if (!opts.json) process.stdout.write(`job ${row.id} queued for rule "${rule.name}"\n`);
      } else if (!opts.json) {
        process.stdout.write(`rule "${rule.name}" already processed this content; add --force to run it again\n`);
      }
    }
    if (jobs.length === 0) return opts.json ? (printJson([]), 0) : 0;
    const daemonUp = runningPid(p.pidFile) !== undefined;
    if (!daemonUp) await runHere(store, set, jobs.map((j) => j.id));
    else if (!opts.wait) return opts.json ? (printJson(jobs.map(toView)), 0) : 0;
    const done = await waitFor(store, jobs.map((j) => j.id));
    if (opts.json) printJson(done.map(toView));
    else for (const j of done) process.stdout.write(`job ${j.id}: ${j.status}${j.reason ? ` — ${j.reason}` : ''}${JSON.parse(j.outputs).length ? `\n  ${(JSON.parse(j.outputs) as string[]).join('\n  ')}` : ''}\n`);
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
