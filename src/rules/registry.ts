import fs from 'node:fs';
import path from 'node:path';
import type { ConfigError } from '../errors.js';
import { isRuleFile, loadRuleFile } from './load.js';
import type { Rule } from './rule.js';
import { ConfigError as LocatedError } from '../errors.js';

/**
 * The rules the daemon runs, reloaded when a rule file changes. A file that turns invalid keeps
 * its last good rules running (a half-saved edit must not switch a rule off) and its errors are
 * reported until it is fixed.
 */
export class RuleSet {
  private lastGood = new Map<string, Rule[]>();
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
      const loaded = loadRuleFile(file, this.files);
      this.errors.push(...loaded.errors);
      const previous = this.lastGood.get(file);
      if (loaded.errors.length > 0 && previous) {
        next.set(file, previous);
        this.stale.push(file);
      } else {
        next.set(file, loaded.rules);
      }
    }
    this.lastGood = next;
    this.rules = new Map();
    for (const rules of next.values()) {
      for (const rule of rules) {
        const twin = this.rules.get(rule.name);
        if (twin) {
          this.errors.push(new LocatedError({ file: rule.source.file, line: rule.source.line, col: 1, field: 'name' },
            `"${rule.name}" is already the name of a rule at ${twin.source.file}:${twin.source.line}; names must be unique`));
          continue;
        }
        this.rules.set(rule.name, rule);
      }
    }
  }

  list(): Rule[] {
    return [...this.rules.values()];
  }
}
