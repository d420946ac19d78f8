/**
 * The models `--models` names, in the words a person has: `local` (a provider of config.yaml,
 * with its model), `local:qwen3:8b` (a provider and one of its models: split at the first
 * colon, as Ollama's tags have their own), or `claude-haiku-4-5` (a model on the rule's own
 * provider). Unset: the rule's own model.
 */
import type { Config } from '../config.js';
import type { Rule } from '../rules/rule.js';

export interface EvalModel {
  /** As typed, for the report. */
  label: string;
  provider?: string | undefined;
  model?: string | undefined;
}

export function parseModels(list: string | undefined, rule: Pick<Rule, 'provider' | 'model'>, config: Pick<Config, 'providers'>): EvalModel[] {
  if (!list) return [{ label: rule.model ?? (rule.provider ? `${rule.provider} (the rule's)` : "the rule's model"), provider: rule.provider, model: rule.model }];
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((label) => {
    if (config.providers[label]) return { label, provider: label };
    const colon = label.indexOf(':');
    const head = colon > 0 ? label.slice(0, colon) : '';
    if (head && config.providers[head]) return { label, provider: head, model: label.slice(colon + 1) };
    if (head === 'default') return { label, provider: undefined, model: label.slice(colon + 1) };
    return { label, provider: rule.provider, model: label };
  });
}

/** The rule as it runs on this model. */
export function ruleOn<R extends Pick<Rule, 'provider' | 'model'>>(rule: R, m: EvalModel): R {
  return { ...rule, provider: m.provider, model: m.model };
}
