/**
 * Compiled rules: the agent learns a repeated task once, then it runs at 0 tokens. Imported at
 * start (plugin-list.ts): puts the program runner in front of the agent's, keeps succeeded
 * agent jobs as examples, queues compile jobs, retires programs whose rule text changed, and
 * adds `dropwork rules program`.
 */
import { chooseForJobs } from '../agent/sandbox-choice.js';
import { addCommands } from '../cli-extensions.js';
import { setCheckNotes } from '../commands/rules.js';
import type { Daemon } from '../daemon.js';
import { errorMessage } from '../errors.js';
import { registerPlugin } from '../plugins.js';
import { setProgramRunner } from '../run/runners.js';
import { addProgramCommand } from './commands.js';
import type { JobRow } from '../queue/status.js';
import type { Rule } from '../rules/rule.js';
import { compileMode, describeMode, type CompileMode } from './mode.js';
import { currentProgram, programsOf, retireStale } from './store.js';
import { learnFrom, maybeCompile, unlearned } from './trigger.js';

// The runner (and the sandbox and workspace code it needs) loads on the first do: job, so
// `dropwork jobs show` stays quick, as the agent's does.
setProgramRunner((rule, agent) => async (ctx) => (await import('./runner.js')).programFront(rule, agent)(ctx));
addCommands(addProgramCommand);
// `rules check` says of each do: rule whether it learns a program, and why not, with the
// sandbox this machine really has (probed, as a job would: a few hundred ms with Docker).
setCheckNotes(async (rules, config, dataDir) => {
  const does = rules.filter((r) => r.do);
  if (does.length === 0) return [];
  const { kind, reason } = await chooseForJobs(config.sandbox, dataDir);
  return does.map((r) => {
    const mode = compileMode(r, kind);
    return { rule: r.name, key: 'compile', value: { ...mode, sandbox: reason }, text: describeMode(r, mode, { kind, reason }) };
  });
});

const SWEEP_MS = 60_000;

let unsubscribe: (() => void) | undefined;
let daemon: Daemon | undefined;
let timer: NodeJS.Timeout | undefined;
/** Jobs already looked at that cannot be examples, so the sweep does not copy them again. */
const passedOver = new Set<number>();
/** The sandbox found at the last sweep, for `status` (which cannot wait for a probe). */
let sandboxKind: 'docker' | 'bubblewrap' | 'none' | undefined;

function learn(d: Daemon, rule: Rule, job: JobRow): void {
  const why = learnFrom(d.store, d.opts.paths, rule, job);
  if (!why) return;
  passedOver.add(job.id);
  if (job.trigger !== 'compile') d.log.debug('not kept as an example', { job: job.id, why });
}

async function afterSuccess(d: Daemon, jobId: number): Promise<void> {
  const job = d.store.get(jobId);
  const rule = job && d.rules.find((r) => r.name === job.rule);
  if (!job || !rule?.do) return;
  const { kind } = await chooseForJobs(d.config.sandbox, d.opts.paths.dataDir);
  const { mode } = compileMode(rule, kind);
  if (mode === 'off') return;
  learn(d, rule, job);
  compileIfDue(d, rule, mode);
}

/** At start and now and then: jobs the events missed (approved from the CLI, a stop in between). */
async function sweep(d: Daemon): Promise<void> {
  const { kind } = await chooseForJobs(d.config.sandbox, d.opts.paths.dataDir);
  sandboxKind = kind;
  for (const rule of d.rules) {
    const { mode } = compileMode(rule, kind);
    if (mode === 'off') continue;
    for (const job of unlearned(d.store, rule, passedOver)) learn(d, rule, job);
    compileIfDue(d, rule, mode);
  }
}

function compileIfDue(d: Daemon, rule: Rule, mode: CompileMode): void {
  const queued = maybeCompile(d.store, rule, mode);
  if (queued) {
    d.log.info(`rule ${rule.name} has enough examples: compile job ${queued.id} queued`, { rule: rule.name, job: queued.id });
    d.worker.wake();
  }
}

function retireChanged(d: Daemon): void {
  for (const rule of d.rules) {
    if (programsOf(d.store.db, rule.name).length === 0) continue;
    const n = retireStale(d.store.db, rule);
    if (n) d.log.info(`rule ${rule.name}'s task changed: its program is retired, the agent relearns it`, { rule: rule.name });
  }
}

registerPlugin({
  name: 'programs',
  start(d) {
    daemon = d;
    retireChanged(d);
    unsubscribe = d.events.on('job:succeeded', (job) => afterSuccess(d, job.id).catch((err: unknown) => d.log.warn('could not learn from a job', { job: job.id, error: errorMessage(err) })));
    const swept = (): void => void sweep(d).catch((err: unknown) => d.log.warn('could not look for examples', { error: errorMessage(err) }));
    swept();
    timer = setInterval(swept, SWEEP_MS);
    timer.unref();
  },
  stop() {
    clearInterval(timer);
    unsubscribe?.();
    daemon = undefined;
  },
  rulesChanged(d) {
    retireChanged(d);
  },
  status() {
    const d = daemon;
    if (!d) return {};
    const said = d.rules.filter((r) => r.do).map((r) => {
      const { mode, why } = compileMode(r, sandboxKind ?? (d.config.sandbox === 'none' ? 'none' : 'docker'));
      const p = currentProgram(d.store.db, r);
      const program = !p ? '' : p.status === 'suggested' ? `, a program is ready (v${p.version})` : p.status === 'approved' ? `, program v${p.version} runs` : p.status === 'not_compilable' ? ', not compilable' : '';
      return `${r.name}: ${mode} (${why})${program}`;
    });
    return said.length ? { compile: said.join('; ') } : {};
  },
});
