import fs from 'node:fs';
import path from 'node:path';
import type { ConfigError } from '../errors.js';
import { isRuleFile, loadRuleFile, locateRuleKey } from './load.js';
import type { Rule } from './rule.js';
import { ConfigError as LocatedError } from '../errors.js';

/**
 * The rules the daemon runs, reloaded when a rule file changes. A file that turns invalid keeps
 * its last good rules running (a half-saved edit must not switch a rule off) and its errors are
 * reported until it is fixed.
 */
export class RuleSet {
  private lastGood = new Map<string, Rule[]>();
  /** Files whose rules in lastGood loaded without an error. */
  private readonly valid = new Set<string>();
  rules = new Map<string, Rule>();
  errors: ConfigError[] = [];
  /** Files whose errors are being covered by their last good version. */
  stale: string[] = [];

  /** `files`: the files folder, which relative folders in rules start from. */
  constructor(private readonly dir: string, private readonly files: string) {}

  reload(): void {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir).filter(isRuleFile).sort();
    } catch {
      names = [];
    }
    const next = new Map<string, Rule[]>();
    this.errors = [];
    this.stale = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      const loaded = loadOne(file, this.files);
      this.errors.push(...loaded.errors);
      // Only a version that loaded without errors is "the last valid version": a file that was
      // never valid has none to keep, and runs what of it is valid now.
      const previous = this.lastGood.get(file);
      if (loaded.errors.length > 0 && previous && this.valid.has(file)) {
        next.set(file, previous);
        this.stale.push(file);
      } else {
        next.set(file, loaded.rules);
        if (loaded.errors.length === 0) this.valid.add(file);
        else this.valid.delete(file);
      }
    }
    for (const file of this.valid) if (!next.has(file)) this.valid.delete(file);
    this.lastGood = next;
    this.rules = this.uniqueNames(next);
  }

  /**
   * One rule per name. A rule that is running keeps its name: a new file that reuses it is
   * refused, and the error is on the new file (not on the one that was working). When nothing
   * ran under that name yet (a fresh start, `rules check`), the file that sorts first wins.
   */
  private uniqueNames(byFile: Map<string, Rule[]>): Map<string, Rule> {
    const running = this.rules;
    const owner = new Map<string, Rule>();
    const all = [...byFile.entries()].flatMap(([file, rules]) => rules.map((rule) => ({ file, rule })));
    for (const { file, rule } of all) {
      if (!owner.has(rule.name) && running.get(rule.name)?.source.file === file) owner.set(rule.name, rule);
    }
    for (const { rule } of all) {
      const first = owner.get(rule.name);
      if (first === rule) continue;
      if (!first) {
        owner.set(rule.name, rule);
        continue;
      }
      const where = `${first.source.file}:${first.source.line}`;
      const why = running.get(rule.name) === undefined
        ? `"${rule.name}" is also the name of the rule at ${where}, which runs; this one does not: give one of them another name (names must be unique)`
        : `"${rule.name}" is already the name of a running rule at ${where}; this new one is not run: give it another name (names must be unique)`;
      this.errors.push(new LocatedError(locateRuleKey(rule, 'name'), why));
    }
    // In file order, as listed everywhere else.
    return new Map(all.filter(({ rule }) => owner.get(rule.name) === rule).map(({ rule }) => [rule.name, rule]));
  }

  list(): Rule[] {
    return [...this.rules.values()];
  }
}

/** One file's rules; whatever goes wrong costs that file alone, as a located error. */
function loadOne(file: string, home: string): { rules: Rule[]; errors: ConfigError[] } {
  try {
    return loadRuleFile(file, home);
  } catch (err) {
    return { rules: [], errors: [new LocatedError({ file, line: 1, col: 1, field: '' }, `cannot be read as rules: ${String(err)}`)] };
  }
}
