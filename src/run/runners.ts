import { SkipJob, UnrecoverableError } from '../errors.js';
import type { Rule } from '../rules/rule.js';
import type { JobContext, Runner } from './context.js';
import { runSteps } from './steps.js';

/** Decides a rule's plain-English `if:` for the job's file. */
export type ConditionCheck = (ctx: JobContext) => Promise<{ match: boolean; reason: string }>;

let agentRunner: Runner | undefined;
let conditionCheck: ConditionCheck | undefined;
/** A learned program (src/program) goes in front of the agent: it calls the agent when it cannot do a file. */
let programFront: ((rule: Rule, agent: Runner) => Runner) | undefined;

export function setProgramRunner(front: typeof programFront): void {
  programFront = front;
}

/** The agent plugs in here, so the core pipeline runs (and is tested) without it. */
export function setAgentRunner(runner: Runner | undefined): void {
  agentRunner = runner;
}

export function setConditionCheck(check: ConditionCheck | undefined): void {
  conditionCheck = check;
}

function baseRunner(rule: Rule): Runner {
  if (rule.actions) return runSteps;
  if (agentRunner) return programFront ? programFront(rule, agentRunner) : agentRunner;
  return () => Promise.reject(new UnrecoverableError('this dropwork cannot run plain-English rules (`do:`); no agent is installed'));
}

/**
 * The rule's runner, behind its `if:` when it has one: the cheap condition model decides first,
 * and a "no" ends the job as skipped with the model's reason before any real work is paid for.
 * A learned program (src/program) sits behind it too, so it only ever sees files the condition
 * let through; a compile job has no file of its own to decide about.
 */
export function runnerFor(rule: Rule): Runner {
  const run = baseRunner(rule);
  if (!rule.if) return run;
  return async (ctx) => {
    if (ctx.job.trigger === 'compile') return run(ctx);
    if (!conditionCheck) throw new UnrecoverableError('this dropwork cannot decide plain-English conditions (`if:`); no agent is installed');
    const decision = await conditionCheck(ctx);
    ctx.step('condition', `${decision.match ? 'yes' : 'no'}: ${decision.reason}`);
    if (!decision.match) throw new SkipJob(`condition not met: ${decision.reason}`);
    return run(ctx);
  };
}
