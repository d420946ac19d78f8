import fs from 'node:fs';
import path from 'node:path';
import type { ConfigError } from '../errors.js';
import type { Paths } from '../paths.js';
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

  /**
   * The rules of an install as the daemon reads them: the rules folder, and relative folders from
   * the files folder. Every command and page that names a rule or an inbox starts here; one that
   * resolved them from the home instead read other folders (and another task hash, so no program)
   * than the daemon in the default layout, where the two differ.
   */
  static of(paths: Pick<Paths, 'rulesDir' | 'files'>): RuleSet {
    return new RuleSet(paths.rulesDir, paths.files);
  }

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
   * One rule per name, the same one whatever ran before: the rule in the file that sorts first by
   * name (then the first in that file) runs, and each other rule of that name is an error on its
   * own file naming the one that runs. The choice depends on the rules folder alone, so a running
   * daemon, one started after a reboot, `rules check` and every host of a team agree. (A running
   * rule used to keep its name against a new file, and a restart then handed the name to the
   * other file: a reboot silently changed which rule ran and which inbox was watched.)
   */
  private uniqueNames(byFile: Map<string, Rule[]>): Map<string, Rule> {
    const owner = new Map<string, Rule>();
    const all = [...byFile.values()].flat();
    for (const rule of all) {
      const first = owner.get(rule.name);
      if (!first) {
        owner.set(rule.name, rule);
        continue;
      }
      const where = `${first.source.file}:${first.source.line}`;
      this.errors.push(new LocatedError(locateRuleKey(rule, 'name'), `"${rule.name}" is also the name of the rule at ${where}, which runs instead of this one (of rules with one name, the one in the file that sorts first runs): give one of them another name`));
    }
    // In file order, as listed everywhere else.
    return new Map(all.filter((rule) => owner.get(rule.name) === rule).map((rule) => [rule.name, rule]));
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

/** The install's rules, read now (see RuleSet.of). */
export function loadRules(paths: Pick<Paths, 'rulesDir' | 'files'>): RuleSet {
  const set = RuleSet.of(paths);
  set.reload();
  return set;
}
