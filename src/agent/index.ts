/**
 * The Claude agent: plain-English `do:` tasks and `if:` conditions. Imported by the daemon and
 * the CLI at start (plugin-list.ts). The runner and the condition check are set here, at
 * import, so `dropwork run FILE` without a daemon runs agent jobs too; the heavy parts (the
 * SDK, PDF and image libraries) load on the first job, so `dropwork jobs show` stays quick.
 */
import { setEntryRenderer } from '../commands/jobs.js';
import { setDryRunExtra } from '../commands/rules.js';
import { registerPlugin } from '../plugins.js';
import { setAgentRunner, setConditionCheck } from '../run/runners.js';
import { agentPlugin } from './plugin.js';
import { AGENT_KINDS, renderAgentEntry } from './transcript.js';

setAgentRunner(async (ctx) => (await import('./run.js')).runAgentJob(ctx));
setConditionCheck(async (ctx) => (await import('./hooks.js')).conditionCheck(ctx));
setDryRunExtra(async (rule, file) => (await import('./hooks.js')).dryRunCondition(rule, file));
for (const kind of AGENT_KINDS) setEntryRenderer(kind, renderAgentEntry);
registerPlugin(agentPlugin);
