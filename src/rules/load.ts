import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { issuesToErrors, locate, parseYamlFile, type LocatedDoc, type PathSegment } from '../located-yaml.js';
import { ownFolderErrors } from './own-folders.js';
import { toRule, type Rule } from './rule.js';
import { ruleSchema } from './schema.js';

export function isRuleFile(file: string): boolean {
  const base = path.basename(file);
  return /\.ya?ml$/i.test(base) && !base.startsWith('.');
}

/** One file: a single rule (a mapping), a list of rules, or several YAML documents. */
export function loadRuleFile(file: string, home: string): { rules: Rule[]; errors: ConfigError[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { rules: [], errors: [new ConfigError({ file, line: 1, col: 1, field: '' }, `cannot read: ${(err as Error).message}`)] };
  }
  return loadRuleText(text, file, home);
}

export function loadRuleText(text: string, file: string, home: string): { rules: Rule[]; errors: ConfigError[] } {
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
    const result = ruleSchema.safeParse(value);
    const fieldPrefix: PathSegment[] = prefix ? [prefix] : [];
    if (!result.success) {
      errors.push(...issuesToErrors(result.error.issues, doc, at, fieldPrefix));
      return;
    }
    const where = locate(doc, at);
    const rule = toRule(result.data, home, { file, line: where.line });
    const own = ownFolderErrors(rule, doc, at, prefix, home);
    if (own.length > 0) errors.push(...own);
    else rules.push(rule);
  }
}
