/**
 * Compiled rules: the agent learns a repeated task once, then it runs at 0 tokens. Imported at
 * start (plugin-list.ts): puts the program runner in front of the agent's, keeps succeeded
 * agent jobs as examples, queues compile jobs, retires programs whose rule text changed, and
 * adds `dropwork rules program`.
 */
import { chooseForJobs } from '../agent/sandbox-choice.js';
import { addCommands } from '../cli-extensions.js';
import type { Daemon } from '../daemon.js';
import { errorMessage } from '../errors.js';
import { registerPlugin } from '../plugins.js';
import { setProgramRunner } from '../run/runners.js';
import { addProgramCommand } from './commands.js';
import { compileMode } from './mode.js';
import { programFront } from './runner.js';
import { programsOf, retireStale } from './store.js';
import { learnFrom, maybeCompile } from './trigger.js';

setProgramRunner(programFront);
addCommands(addProgramCommand);

let unsubscribe: (() => void) | undefined;
let daemon: Daemon | undefined;

async function afterSuccess(d: Daemon, jobId: number): Promise<void> {
  const job = d.store.get(jobId);
  const rule = job && d.rules.find((r) => r.name === job.rule);
  if (!job || !rule?.do) return;
  const { kind } = await chooseForJobs(d.config.sandbox, d.opts.paths.dataDir);
  const { mode } = compileMode(rule, kind);
  if (mode === 'off') return;
  const why = learnFrom(d.store, d.opts.paths, rule, job);
  if (why && job.trigger !== 'compile') d.log.debug('not kept as an example', { job: job.id, why });
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
  },
  stop() {
    unsubscribe?.();
    daemon = undefined;
  },
  rulesChanged(d) {
    retireChanged(d);
  },
  status() {
    const d = daemon;
    if (!d) return {};
    const ready = d.rules.filter((r) => programsOf(d.store.db, r.name).some((p) => p.status === 'suggested')).map((r) => r.name);
    const running = d.rules.filter((r) => programsOf(d.store.db, r.name).some((p) => p.status === 'approved')).map((r) => r.name);
    return { ...(ready.length ? { program_ready: ready.join(' ') } : {}), ...(running.length ? { programs_run: running.join(' ') } : {}) };
  },
});
