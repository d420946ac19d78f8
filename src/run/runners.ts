import { UnrecoverableError } from '../errors.js';
import type { Rule } from '../rules/rule.js';
import type { Runner } from './context.js';
import { runSteps } from './steps.js';

let agentRunner: Runner | undefined;

/** The agent plugs in here, so the core pipeline runs (and is tested) without it. */
export function setAgentRunner(runner: Runner | undefined): void {
  agentRunner = runner;
}

export function runnerFor(rule: Rule): Runner {
  if (rule.actions) return runSteps;
  if (agentRunner) return agentRunner;
  return () => Promise.reject(new UnrecoverableError('this dropwork cannot run plain-English rules (`do:`); no agent is installed'));
}
