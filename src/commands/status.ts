import { loadConfig, type Config } from '../config.js';
import { StoreUnavailable } from '../errors.js';
import { STATUS_WORDS, localTime, when, zoneName } from '../human.js';
import { pluginLines } from './status-words.js';
import { runningPid } from '../pidfile.js';
import { redactUrl } from '../queue/postgres/connection.js';
import { ROLE_WORDS, teamLines, teamView } from '../team/hosts.js';
import { toView, type JobStatus } from '../queue/status.js';
import { undoSpace } from '../undo/retention.js';
import { loadRules } from '../rules/registry.js';
import { daemonState, paths, printJson, table, withStore } from './shared.js';

export function status(opts: { json?: boolean }): void {
  const config = loadConfig(paths().configFile).config;
  try {
    report(opts, config);
  } catch (err) {
    if (!(err instanceof StoreUnavailable)) throw err;
    // A team's database is down: say so, and what this host does meanwhile.
    const pid = runningPid(paths().pidFile);
    if (opts.json) return printJson({ running: pid !== undefined, pid: pid ?? null, database: redactUrl(config.database), database_problem: err.message });
    process.stdout.write(`${pid ? `dropwork is running (pid ${pid})` : 'dropwork is not running'}, but ${err.message}\n`
      + 'files stay in their inboxes and jobs wait; both carry on by themselves when the database answers again\n');
    process.exitCode = 1;
  }
}

function report(opts: { json?: boolean }, config: Config): void {
  withStore((store, p) => {
    const state = daemonState(store, p);
    const team = config.database ? teamView(store) : undefined;
    const counts = store.counts();
    const spentToday = store.spentToday();
    // Not running: the problems the next start would meet (two rules with one name among them).
    const folderErrors = state ? [] : loadRules(p).errors.map((e) => e.message);
    const report = {
      running: state !== undefined,
      pid: state?.pid ?? null,
      started_at: state?.started_at ?? null,
      home: p.home,
      files: p.files,
      database: config.database ? redactUrl(config.database) : p.dbFile,
      role: config.role,
      host: config.host_name,
      hosts: team?.hosts ?? [],
      rule_differences: team?.rule_differences ?? [],
      rules: state?.rules ?? null,
      rule_errors: state?.rule_errors ?? folderErrors,
      config_errors: state?.config_errors ?? [],
      inboxes: state?.inboxes ?? [],
      queue: counts,
      spent_today_usd: Number(spentToday.toFixed(4)),
      plugins: state?.plugins ?? {},
      last_job: store.list({ limit: 1 }).map(toView)[0] ?? null,
      undo_backups_bytes: undoSpace(store).bytes,
    };
    if (opts.json) return printJson(report);
    const out: string[] = [];
    out.push(state ? `dropwork is running (pid ${state.pid}, since ${localTime(state.started_at)} ${zoneName(state.started_at)})` : 'dropwork is not running (start it with: dropwork start)');
    out.push(`inboxes and outputs: ${p.files}`);
    out.push(`settings and rules: ${p.home}`);
    if (team) {
      out.push(`database: ${redactUrl(config.database)} (shared; this host: ${config.host_name}, which ${ROLE_WORDS[config.role]})`);
      out.push(...teamLines(team, (iso) => when(iso)));
    }
    if (state) {
      out.push(`rules: ${state.rules}${state.rule_errors.length ? `, ${state.rule_errors.length} problem(s):` : ''}`);
      for (const e of state.rule_errors) out.push(`  ${e}`);
      // Older daemons wrote no config_errors.
      const configErrors = state.config_errors ?? [];
      if (configErrors.length) out.push(`config.yaml: ${configErrors.length} problem(s), defaults used instead:`, ...configErrors.map((e) => `  ${e}`));
      if (config.role === 'work') out.push('inboxes: none watched here (role: work); the hosts that collect files watch them');
      else out.push('inboxes:');
      if (config.role !== 'work') out.push(table(state.inboxes.map((i) => ['  ' + i.path, i.mode === 'polling' ? `polling (${i.reason})` : i.mode === 'missing' ? `not watching: ${i.reason}` : 'watching'])).trimEnd());
      out.push(...pluginLines(state.plugins));
    } else if (folderErrors.length) {
      out.push(`rules: ${folderErrors.length} problem(s) in ${p.rulesDir} (dropwork rules check):`, ...folderErrors.map((e) => `  ${e}`));
    }
    out.push(`jobs: ${Object.entries(counts).map(([s, n]) => `${n} ${STATUS_WORDS[s as JobStatus].toLowerCase()}`).join(', ')}`);
    out.push(`spent today: $${spentToday.toFixed(2)} of the $${config.daily_budget_usd.toFixed(2)} daily budget`);
    out.push(`undo: ${(report.undo_backups_bytes / 1048576).toFixed(1)} MB of earlier versions kept (dropwork jobs revert ID)`);
    process.stdout.write(out.join('\n') + '\n');
  });
}
