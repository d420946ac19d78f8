import { STATUS_WORDS, localTime, zoneName } from '../human.js';
import { toView, type JobStatus } from '../queue/status.js';
import { undoSpace } from '../undo/retention.js';
import { daemonState, printJson, table, withStore } from './shared.js';

export function status(opts: { json?: boolean }): void {
  withStore((store, p) => {
    const state = daemonState(store, p);
    const counts = store.counts();
    const spentToday = store.spentToday();
    const report = {
      running: state !== undefined,
      pid: state?.pid ?? null,
      started_at: state?.started_at ?? null,
      home: p.home,
      files: p.files,
      database: p.dbFile,
      rules: state?.rules ?? null,
      rule_errors: state?.rule_errors ?? [],
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
    if (state) {
      out.push(`rules: ${state.rules}${state.rule_errors.length ? `, ${state.rule_errors.length} problem(s):` : ''}`);
      for (const e of state.rule_errors) out.push(`  ${e}`);
      // Older daemons wrote no config_errors.
      const configErrors = state.config_errors ?? [];
      if (configErrors.length) out.push(`config.yaml: ${configErrors.length} problem(s), defaults used instead:`, ...configErrors.map((e) => `  ${e}`));
      out.push('inboxes:');
      out.push(table(state.inboxes.map((i) => ['  ' + i.path, i.mode === 'polling' ? `polling (${i.reason})` : i.mode === 'missing' ? `not watching: ${i.reason}` : 'watching'])).trimEnd());
      for (const [name, facts] of Object.entries(state.plugins)) out.push(`${name}: ${Object.entries(facts).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
    }
    out.push(`jobs: ${Object.entries(counts).map(([s, n]) => `${n} ${STATUS_WORDS[s as JobStatus].toLowerCase()}`).join(', ')}`);
    out.push(`spent today: $${spentToday.toFixed(2)}`);
    out.push(`undo: ${(report.undo_backups_bytes / 1048576).toFixed(1)} MB of earlier versions kept (dropwork jobs revert ID)`);
    process.stdout.write(out.join('\n') + '\n');
  });
}
