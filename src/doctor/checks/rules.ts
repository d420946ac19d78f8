import { formatLocated } from '../../errors.js';
import { providerProblems } from '../../rules/providers-check.js';
import { ruleWarnings } from '../../rules/warnings.js';
import { fail, pass, warn, type Check } from '../check.js';

/** Every rule file and config.yaml parse and say something dropwork can run. */
export const rulesCheck: Check = {
  id: 'rules',
  title: 'Rules',
  run(ctx) {
    const problems = [...ctx.configErrors, ...ctx.rules.errors, ...providerProblems(ctx.rules.list(), ctx.config, ctx.paths.configFile)].map((e) => e.message);
    if (problems.length > 0) {
      return fail(`${problems.length} problem(s): ${problems.join('; ')}`, 'fix the lines named above; `dropwork rules check` lists every problem');
    }
    const rules = ctx.rules.list();
    if (rules.length === 0) return warn(`no rules in ${ctx.paths.rulesDir}`, 'add one, or run `dropwork init` for the examples');
    const stuck = rules.filter((r) => r.schedule && r.actions && r.watch.length === 0).map((r) => r.name);
    if (stuck.length > 0) {
      return warn(`${stuck.join(', ')}: a schedule with \`actions:\` but no \`watch:\` has no files to act on`, 'add `watch: FOLDER` (swept at each firing), or use `do:`');
    }
    const warnings = ruleWarnings(rules, ctx.config);
    if (warnings.length > 0) {
      return warn(`${warnings.length} warning(s): ${warnings.map((w) => formatLocated(w.location, w.detail)).join('; ')}`, 'the rules run, but not quite as written; `dropwork rules check` lists the warnings');
    }
    return pass(`${rules.length} rule(s), all valid: ${rules.map((r) => r.name).join(', ')}`);
  },
};
