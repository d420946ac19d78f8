import fs from 'node:fs';
import path from 'node:path';
import { ensureDirs } from '../daemon.js';
import type { Paths } from '../paths.js';
import { RuleSet } from '../rules/registry.js';
import type { Rule } from '../rules/rule.js';
import { PACKAGE_ROOT } from './shared.js';

const CONFIG_TEMPLATE = `# dropwork settings. Every key is optional; these are the defaults.
# concurrency: 2            # jobs at once
# settle_ms: 2000           # a file is complete once unchanged this long
# rescan_minutes: 5         # sweep inboxes for anything missed
# daily_budget_usd: 5       # agent spending per day
# notify: true              # desktop notifications
# sandbox: auto             # auto | docker | bubblewrap | none
# port: 7717                # the dashboard, on 127.0.0.1
`;

/**
 * A ready home: the example rules, an inbox and an outputs folder for each (in the files
 * folder, `~/dropwork` unless set otherwise), and a commented config.yaml. Existing files are never overwritten, so running it twice is harmless.
 */
export function initHome(p: Paths): { created: boolean; lines: string[] } {
  const created = !fs.existsSync(p.rulesDir);
  ensureDirs(p);
  const examples = path.join(PACKAGE_ROOT, 'rules');
  for (const name of fs.readdirSync(examples).filter((n) => /\.ya?ml$/.test(n))) {
    const dest = path.join(p.rulesDir, name);
    if (created && !fs.existsSync(dest)) fs.copyFileSync(path.join(examples, name), dest);
  }
  if (!fs.existsSync(p.configFile)) fs.writeFileSync(p.configFile, CONFIG_TEMPLATE);
  const rules = RuleSet.of(p);
  rules.reload();
  for (const rule of rules.list()) {
    fs.mkdirSync(rule.output, { recursive: true });
    for (const w of rule.watch) fs.mkdirSync(w, { recursive: true });
    if (rule.input) fs.mkdirSync(rule.input, { recursive: true });
  }
  const lines = folderLines(p, rules.list());
  for (const e of rules.errors) lines.push(`  problem: ${e.message}`);
  lines.push('', `Rules live in ${p.rulesDir}; edit them and dropwork picks up the change.`);
  return { created, lines };
}

/** Where a person drops files and finds results, rule by rule: what `init` and `start` print. */
export function folderLines(p: Paths, rules: Rule[]): string[] {
  const lines = [`your inboxes and outputs: ${p.files}`, `settings and rules:       ${p.home}`, ''];
  for (const rule of rules) {
    const what = rule.do ? rule.do.split('\n')[0]?.slice(0, 70) : rule.actions?.map((a) => `${a.kind} ${a.target}`).join(', ');
    lines.push(`  ${rule.name}: ${rule.schedule ? `runs on schedule "${rule.schedule}"${rule.input ? ` over ${rule.input}` : ''}` : `drop files into ${rule.watch.join(', ')}`}`);
    lines.push(`      ${what ?? ''}`);
    lines.push(`      results go to ${rule.output}`);
  }
  return lines;
}
