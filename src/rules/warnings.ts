import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { locateRuleKey } from './load.js';
import { RENAMED_RULE_KEYS, renamedWarning } from './renamed.js';
import type { Rule } from './rule.js';

/**
 * Rules that are valid but will not do quite what they say, given config.yaml. A warning, not an
 * error: the rule runs, and `rules check` still exits 0 when warnings are all there is.
 */
export function ruleWarnings(rules: readonly Rule[], config: Pick<Config, 'concurrency'> & Partial<Pick<Config, 'sandbox'>>): ConfigError[] {
  const warnings: ConfigError[] = [];
  for (const rule of rules) {
    if (rule.concurrency > config.concurrency) {
      // The worker never runs more than config's concurrency jobs in all, whatever one rule asks.
      warnings.push(new ConfigError(locateRuleKey(rule, 'concurrency'),
        `asks for ${rule.concurrency} jobs at once, but config.yaml's concurrency is ${config.concurrency} for all rules together, so at most ${config.concurrency} run: raise concurrency in config.yaml, or lower it here`));
    }
    for (const old of rule.oldKeys ?? []) warnings.push(new ConfigError(locateRuleKey(rule, old), renamedWarning(old as keyof typeof RENAMED_RULE_KEYS)));
    const off = compileOffWhy(rule, config.sandbox);
    if (off && rule.compile.mode && rule.compile.mode !== 'off') {
      warnings.push(new ConfigError(locateRuleKey(rule, 'compile'), `is ${rule.compile.mode}, but this rule is not compiled: ${off}`));
    }
  }
  return warnings;
}

/** Why a rule asking to be compiled (src/program) is not, as far as its text and config say. */
export function compileOffWhy(rule: Pick<Rule, 'do' | 'schedule' | 'watch'>, sandbox: Config['sandbox'] | undefined): string | undefined {
  if (!rule.do) return 'only do: rules are compiled';
  // A firing of such a rule is one job over its whole input: folder (or nothing); a program is
  // learned from single files and what the agent made of each. With watch:, each swept file is a job.
  if (rule.schedule && rule.watch.length === 0) return 'a scheduled rule without watch: inboxes has no single input file to learn a program from';
  if (sandbox === 'none') return "config.yaml's sandbox is none, and a program runs only in a sandbox";
  return undefined;
}
