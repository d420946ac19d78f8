import path from 'node:path';
import { ConfigError, errorMessage, type Location } from '../errors.js';
import { fieldName, issuesToErrors, locate, parseYamlFile, readYamlFile, type LocatedDoc, type PathSegment } from '../located-yaml.js';
import { ownFolderErrors } from './own-folders.js';
import { toRule, type Rule } from './rule.js';
import { ruleSchema } from './schema.js';

export function isRuleFile(file: string): boolean {
  const base = path.basename(file);
  return /\.ya?ml$/i.test(base) && !base.startsWith('.');
}

/** One file: a single rule (a mapping), a list of rules, or several YAML documents. */
export function loadRuleFile(file: string, home: string): { rules: Rule[]; errors: ConfigError[] } {
  const read = readYamlFile(file);
  if ('error' in read) return { rules: [], errors: [read.error] };
  return loadRuleText(read.text, file, home);
}

/**
 * Never throws: whatever the text, the answer is rules and located errors, so a bad rule file
 * costs that file alone. An exception nobody foresaw becomes an error at the top of the file.
 */
export function loadRuleText(text: string, file: string, home: string): { rules: Rule[]; errors: ConfigError[] } {
  try {
    return parseRules(text, file, home);
  } catch (err) {
    return { rules: [], errors: [new ConfigError({ file, line: 1, col: 1, field: '' }, `cannot be read as rules: ${errorMessage(err)}`)] };
  }
}

function parseRules(text: string, file: string, home: string): { rules: Rule[]; errors: ConfigError[] } {
  const { docs, errors } = parseYamlFile(text, file);
  const rules: Rule[] = [];
  for (const doc of docs) {
    if (doc.value === null || doc.value === undefined) continue;
    if (Array.isArray(doc.value)) {
      doc.value.forEach((item, i) => addRule(item, [i], `rules[${i}]`, doc));
    } else if (typeof doc.value === 'object') {
      addRule(doc.value, [], '', doc);
    } else {
      errors.push(new ConfigError(locate(doc, []), 'a rule file holds a rule (a mapping with name, watch, ...) or a list of rules'));
    }
  }
  return { rules, errors };

  function addRule(value: unknown, at: PathSegment[], prefix: string, doc: LocatedDoc): void {
    const fieldPrefix: PathSegment[] = prefix ? [prefix] : [];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const what = value === null ? 'is empty (a "-" with nothing after it): remove it, or write a rule there' : 'is not a rule: each item of a list of rules is a mapping with name:, watch:, ...';
      errors.push(new ConfigError(locate(doc, at, prefix), what));
      return;
    }
    const result = ruleSchema.safeParse(value);
    if (!result.success) {
      errors.push(...issuesToErrors(result.error.issues, doc, at, fieldPrefix, ruleSchema));
      return;
    }
    const where = locate(doc, at);
    const rule = toRule(result.data, home, { file, line: where.line });
    const own = ownFolderErrors(rule, doc, at, prefix, home);
    if (own.length > 0) {
      errors.push(...own);
      return;
    }
    origins.set(rule, { doc, at: [...at], prefix: fieldPrefix });
    rules.push(rule);
  }
}

/** Where each loaded rule was written, so later checks (duplicate names, warnings) can point at a key. */
const origins = new WeakMap<Rule, { doc: LocatedDoc; at: PathSegment[]; prefix: PathSegment[] }>();

/** FILE:LINE:COL of one of a rule's keys (the rule itself when the key is not written). */
export function locateRuleKey(rule: Rule, key: string, index?: number): Location {
  const origin = origins.get(rule);
  const at = index === undefined ? [key] : [key, index];
  if (!origin) return { file: rule.source.file, line: rule.source.line, col: 1, field: fieldName(at) };
  return locate(origin.doc, [...origin.at, ...at], fieldName([...origin.prefix, ...at]));
}
