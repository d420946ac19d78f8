import { jobLine, localClock, localTime, NO_FILE_WORDS, statusWord, triggerWords, zoneName } from '../human.js';
import { heldPayload } from '../run/approval.js';
import { cancelJob, retryJob } from '../run/control.js';
import { cliActor } from '../users/actor.js';
import { FINAL, isJobStatus, JOB_STATUSES, toView, type JobRow, type JobTrigger, type JobView } from '../queue/status.js';
import type { LogEntry } from '../queue/store.js';
import { knownRuleNames, noRuleNamed } from '../rules/names.js';
import { loadRules } from '../rules/registry.js';
import { CliError, parseId, printJson, table, withStore } from './shared.js';

export interface ListOptions {
  status?: string;
  rule?: string;
  limit?: string;
  json?: boolean;
}

export function jobsList(opts: ListOptions): void {
  if (opts.status && !isJobStatus(opts.status)) throw new CliError(`"${opts.status}" is not a job status (${JOB_STATUSES.join(', ')})`);
  const limit = opts.limit ? Number(opts.limit) : 20;
  if (!Number.isInteger(limit) || limit <= 0) throw new CliError('--limit takes a whole number');
  withStore((store, p) => {
    if (opts.rule) {
      const known = knownRuleNames(loadRules(p).rules.keys(), store);
      if (!known.includes(opts.rule)) throw new CliError(noRuleNamed(opts.rule, known));
    }
    const found = store.list({ status: opts.status as JobView['status'] | undefined, rule: opts.rule, limit });
    if (opts.json) return printJson(found.map(toView));
    if (found.length === 0) return void process.stdout.write('no jobs yet\n');
    const rows = [['ID', 'STATUS', 'RULE', 'FILE', `WHEN (${zoneName()})`, 'COST', 'REASON']];
    for (const row of found) {
      const j = toView(row);
      const held = heldPayload(row) !== undefined;
      rows.push([String(j.id), statusWord(j.status, held), j.rule, shortName(j.file, j.trigger), localTime(row.created_at), j.runner === 'program' ? `${j.usage.cost_usd ? `$${j.usage.cost_usd.toFixed(3)}` : '$0'} (program v${j.program_version ?? '?'})` : j.usage.cost_usd ? `$${j.usage.cost_usd.toFixed(3)}` : '', held ? '' : (j.reason ?? '')]);
    }
    process.stdout.write(table(rows));
  });
}

function shortName(file: string | null, trigger: JobTrigger): string {
  if (!file) return `(${NO_FILE_WORDS[trigger].toLowerCase()})`;
  const name = file.slice(file.lastIndexOf('/') + 1);
  return name.length > 40 ? name.slice(0, 37) + '...' : name;
}

/** How a step-log entry reads in `jobs show`; the agent adds renderers for its own kinds. */
export type EntryRenderer = (entry: LogEntry) => string;
const renderers = new Map<string, EntryRenderer>();
export function setEntryRenderer(kind: string, fn: EntryRenderer): void {
  renderers.set(kind, fn);
}

export function renderEntry(e: LogEntry): string {
  const time = localClock(e.at);
  const custom = renderers.get(e.kind);
  return custom ? `${time} ${custom(e)}` : `${time} ${e.kind.padEnd(10)} ${e.message}`;
}

/** Prompt-cache tokens, when there are any: with caching most input is read or written, not "in". */
function cached(v: JobView): string {
  const { cache_read_tokens: read, cache_write_tokens: write } = v.usage;
  return read || write ? ` (+ ${read} cache read, ${write} cache write)` : '';
}

export function jobsShow(rawId: string, opts: { json?: boolean }): void {
  const id = parseId(rawId);
  withStore((store) => {
    const row = store.get(id);
    if (!row) throw new CliError(`no job ${id}`);
    const view = toView(row);
    const held = heldPayload(row) !== undefined;
    const log = store.logs(id);
    if (opts.json) return printJson({ ...view, log: log.map((e) => ({ at: new Date(e.at).toISOString(), kind: e.kind, message: e.message, data: e.data ? (JSON.parse(e.data) as unknown) : null })) });
    const out = [
      jobLine(view.id, view.status, view.reason, held),
      `rule:     ${view.rule}`,
      ...(view.file ? [`file:     ${view.file}`] : []),
      ...(view.sha256 ? [`sha256:   ${view.sha256}`] : []),
      `trigger:  ${triggerWords(view.trigger)}; ${view.attempts ? `attempt ${view.attempts}` : 'not run yet'}`,
      ...(view.runner === 'program' ? [`runner:   program v${view.program_version ?? '?'} (no model call${view.usage.cost_usd ? ' for the task; the if: check is the usage below' : ''})`] : []),
      // On a team's database: which host queued it and which ran it.
      ...(view.collected_by && view.ran_by && view.collected_by !== view.ran_by ? [`hosts:    queued on ${view.collected_by}, run on ${view.ran_by}`] : []),
      `created:  ${times(row, held)} (${zoneName(row.created_at)})`,
      `usage:    ${view.usage.input_tokens} in${cached(view)} / ${view.usage.output_tokens} out tokens, $${view.usage.cost_usd.toFixed(4)}`,
      'outputs:',
      ...(view.outputs.length ? view.outputs.map((o) => `  ${o}`) : ['  (none)']),
      '',
      `log (${zoneName()}):`,
      ...log.map(renderEntry),
    ];
    process.stdout.write(out.join('\n') + '\n');
  });
}

/** When it was made, started and ended; "finished" only for a job that has (a held one is staged). */
function times(row: JobRow, held: boolean): string {
  const ended = row.finished_at === null ? '' : held ? `, staged for approval ${localTime(row.finished_at)}` : FINAL.includes(row.status) ? `, finished ${localTime(row.finished_at)}` : '';
  return `${localTime(row.created_at)}${row.started_at ? `, started ${localTime(row.started_at)}` : ''}${ended}`;
}

export function jobsRetry(rawId: string, opts: { by?: string } = {}): void {
  const id = parseId(rawId);
  withStore((store) => {
    const row = store.get(id);
    if (!row) throw new CliError(`no job ${id}`);
    const r = retryJob(store, row, cliActor(opts.by));
    if (!r.ok) throw new CliError(r.why);
    process.stdout.write(`job ${id} queued again\n`);
  });
}

export function jobsCancel(rawId: string, opts: { by?: string } = {}): void {
  const id = parseId(rawId);
  withStore((store, p) => {
    const row = store.get(id);
    if (!row) throw new CliError(`no job ${id}`);
    const r = cancelJob(store, p.jobsDir, row, cliActor(opts.by));
    if (!r.ok) throw new CliError(r.why);
    process.stdout.write(`job ${id} cancelled${r.was === 'running' ? '; it stops within a second and publishes nothing' : ''}\n`);
  });
}
