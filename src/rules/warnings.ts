import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { locateRuleKey } from './load.js';
import type { Rule } from './rule.js';

/**
 * Rules that are valid but will not do quite what they say, given config.yaml. A warning, not an
 * error: the rule runs, and `rules check` still exits 0 when warnings are all there is.
 */
export function ruleWarnings(rules: readonly Rule[], config: Pick<Config, 'concurrency'>): ConfigError[] {
  const warnings: ConfigError[] = [];
  for (const rule of rules) {
    if (rule.concurrency > config.concurrency) {
      // The worker never runs more than config's concurrency jobs in all, whatever one rule asks.
      warnings.push(new ConfigError(locateRuleKey(rule, 'concurrency'),
        `asks for ${rule.concurrency} jobs at once, but config.yaml's concurrency is ${config.concurrency} for all rules together, so at most ${config.concurrency} run: raise concurrency in config.yaml, or lower it here`));
    }
  }
  return warnings;
}
