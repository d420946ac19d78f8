/**
 * Rules and the providers they name (config.yaml's `providers:`), checked up front by `rules
 * check` and doctor: a rule naming a provider that does not exist, a `do:` rule on a model
 * that cannot call tools (`tools: false`), a `condition_provider:` nobody defined. Each is an
 * error with the rule file's line, not a job that hangs or fails later with less to go on.
 */
import fs from 'node:fs';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { locateRuleKey } from './load.js';
import type { Rule } from './rule.js';

function known(config: Pick<Config, 'providers'>): string {
  const names = Object.keys(config.providers);
  return names.length ? `it has ${names.join(', ')}` : 'it has none';
}

/** The line of a top-level key in config.yaml, for the error's location. */
function configLine(file: string, key: string): number {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith(`${key}:`));
    return at >= 0 ? at + 1 : 1;
  } catch {
    return 1;
  }
}

export function providerProblems(rules: readonly Rule[], config: Pick<Config, 'providers' | 'condition_provider'>, configFile: string): ConfigError[] {
  const problems: ConfigError[] = [];
  for (const rule of rules) {
    if (rule.provider === undefined) continue;
    const p = config.providers[rule.provider];
    if (!p) {
      problems.push(new ConfigError(locateRuleKey(rule, 'provider'), `names provider "${rule.provider}", which config.yaml's providers: does not define (${known(config)})`));
      continue;
    }
    if (rule.do && !p.tools) {
      problems.push(new ConfigError(locateRuleKey(rule, 'provider'), `is ${rule.provider}, whose model cannot call tools (tools: false in config.yaml), and a do: rule needs them: give this rule a provider whose model can`));
    }
  }
  const cond = config.condition_provider;
  if (cond !== undefined && !config.providers[cond]) {
    problems.push(new ConfigError({ file: configFile, line: configLine(configFile, 'condition_provider'), col: 1, field: 'condition_provider' }, `names provider "${cond}", which providers: does not define (${known(config)})`));
  }
  return problems;
}
