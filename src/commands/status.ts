import { toView } from '../queue/status.js';
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
      database: p.dbFile,
      rules: state?.rules ?? null,
      rule_errors: state?.rule_errors ?? [],
      inboxes: state?.inboxes ?? [],
      queue: counts,
      spent_today_usd: Number(spentToday.toFixed(4)),
      plugins: state?.plugins ?? {},
      last_job: store.list({ limit: 1 }).map(toView)[0] ?? null,
    };
    if (opts.json) return printJson(report);
    const out: string[] = [];
    out.push(state ? `dropwork is running (pid ${state.pid}, since ${state.started_at})` : 'dropwork is not running (start it with: dropwork start)');
    out.push(`home: ${p.home}`);
    if (state) {
      out.push(`rules: ${state.rules}${state.rule_errors.length ? `, ${state.rule_errors.length} problem(s):` : ''}`);
      for (const e of state.rule_errors) out.push(`  ${e}`);
      out.push('inboxes:');
      out.push(table(state.inboxes.map((i) => ['  ' + i.path, i.mode === 'polling' ? `polling (${i.reason})` : i.mode === 'missing' ? `not watching: ${i.reason}` : 'watching'])).trimEnd());
      for (const [name, facts] of Object.entries(state.plugins)) out.push(`${name}: ${Object.entries(facts).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
    }
    out.push(`jobs: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}`);
    out.push(`spent today: $${spentToday.toFixed(2)}`);
    process.stdout.write(out.join('\n') + '\n');
  });
}
