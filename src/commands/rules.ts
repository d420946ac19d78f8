import fs from 'node:fs';
import path from 'node:path';
import { describeAction, planActions } from '../actions/index.js';
import { loadConfig, type Config } from '../config.js';
import { formatLocated } from '../errors.js';
import { matchFile } from '../rules/match.js';
import { RuleSet } from '../rules/registry.js';
import { noRuleNamed } from '../rules/names.js';
import { missingInboxes } from '../watch/folders.js';
import type { Rule } from '../rules/rule.js';
import { providerProblems } from '../rules/providers-check.js';
import { ruleWarnings } from '../rules/warnings.js';
import { describeNetwork } from '../sandbox/egress/allowlist.js';
import { CliError, paths, printJson } from './shared.js';

/** What a part beyond the core says of a rule in `rules check` (src/program: whether it learns a program). */
export interface RuleNote {
  rule: string;
  /** The key of the rule's entry in `--json`. */
  key: string;
  value: unknown;
  /** The same in words, one line. */
  text: string;
}
export type CheckNotes = (rules: readonly Rule[], config: Config, dataDir: string) => Promise<RuleNote[]>;
let checkNotes: CheckNotes | undefined;
export function setCheckNotes(fn: CheckNotes): void {
  checkNotes = fn;
}

/**
 * `rules check`: every problem in the rule files and config.yaml as FILE:LINE:COL field: message,
 * then the warnings (valid, but not quite what the rule says), then what each rule will do
 * beyond its text (notes). Exit 1 when there is a problem; warnings alone exit 0, so a script
 * that checks before a restart is not stopped by them.
 */
export async function rulesCheck(opts: { json?: boolean }): Promise<number> {
  const p = paths();
  const set = RuleSet.of(p);
  set.reload();
  const loaded = loadConfig(p.configFile);
  // The MCP SDK loads only when a rule names connectors.
  const connectors = set.list().some((r) => r.tools.length)
    ? await (await import('../connectors/check.js')).connectorProblems(set.list(), loaded.config, p.home)
    : { errors: [], warnings: [] };
  const problems = [...loaded.errors, ...set.errors, ...providerProblems(set.list(), loaded.config, p.configFile), ...connectors.errors];
  const warnings = [...ruleWarnings(set.list(), loaded.config), ...connectors.warnings];
  // Not errors: the rule is right, the folder may come later (Dropbox not set up yet).
  const missing = missingInboxes(set.list(), p.files);
  const notes = [...(checkNotes ? await checkNotes(set.list(), loaded.config, p.dataDir) : []), ...networkNotes(set.list())];
  if (opts.json) {
    printJson({
      valid: problems.length === 0,
      rules: set.list().map((r) => ({ name: r.name, file: r.source.file, line: r.source.line, ...Object.fromEntries(notes.filter((n) => n.rule === r.name).map((n) => [n.key, n.value])) })),
      errors: problems.map((e) => ({ ...e.location, message: e.detail })),
      warnings: [
        ...warnings.map((w) => ({ ...w.location, message: w.detail })),
        ...missing.map((w) => ({ rule: w.rule, file: w.file, line: w.line, message: w.message })),
      ],
    });
  } else {
    for (const e of problems) process.stdout.write(`${e.message}\n`);
    for (const w of warnings) process.stdout.write(`${formatLocated(w.location, `warning: ${w.detail}`)}\n`);
    for (const w of missing) process.stdout.write(`${w.file}:${w.line} rule "${w.rule}": warning: ${w.message}\n`);
    for (const n of notes) process.stdout.write(`rule "${n.rule}": ${n.text}\n`);
    const count = warnings.length + missing.length;
    const warned = count ? `; ${count} warning(s)` : '';
    const where = loaded.errors.length ? `${p.rulesDir} and ${p.configFile}` : p.rulesDir;
    process.stdout.write(problems.length === 0 ? `${set.rules.size} rule(s), all valid${warned}\n` : `${problems.length} problem(s) in ${where}${warned}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}

/** A grant of network is named, every time: `true` is everything, an allowlist its hosts. */
function networkNotes(rules: readonly Rule[]): RuleNote[] {
  return rules.filter((r) => r.do && r.sandbox.network !== false).map((r) => ({ rule: r.name, key: 'network', value: r.sandbox.network, text: describeNetwork(r.sandbox.network) }));
}

/** Hooks that add to a dry run (the agent's `if:` decision). */
export type DryRunExtra = (ruleName: string, file: string) => Promise<string[]>;
let extra: DryRunExtra | undefined;
export function setDryRunExtra(fn: DryRunExtra): void {
  extra = fn;
}

/** What a dry run found: used by `rules test` and the dashboard's "test a file" button. */
export interface DryRun {
  rule: string;
  file: string;
  match: boolean;
  why: string | null;
  steps: string[];
}

/** Would `abs` match `rule`, why not, and what would happen. Touches nothing. */
export async function dryRun(rule: Rule, abs: string): Promise<DryRun> {
  const m = matchFile(rule, abs);
  let steps: string[] = [];
  if (m.match) {
    if (rule.actions) {
      const st = fs.statSync(abs);
      const planned = planActions(rule.actions, path.basename(abs), {
        output: rule.output,
        vars: { rule: rule.name, sha256: '0'.repeat(64), modified: st.mtime, created: st.birthtime, now: new Date() },
      });
      steps = [...rule.actions.map(describeAction), ...planned.map((o) => `would write ${o.dest}`)];
      if (rule.after.kind !== 'keep') steps.push(rule.after.kind === 'trash' ? 'would move the original to the trash' : `would move the original to ${rule.after.folder}`);
    } else {
      steps = [`the agent would do: ${rule.do ?? ''}`, `results in ${rule.output}`];
    }
    if (extra) steps.push(...(await extra(rule.name, abs)));
  }
  return { rule: rule.name, file: abs, match: m.match, why: m.match ? null : m.why, steps };
}

/** `rules test RULE FILE`: would the file match, why not, and what would happen. Touches nothing. */
export async function rulesTest(ruleName: string, file: string, opts: { json?: boolean }): Promise<number> {
  const p = paths();
  const set = RuleSet.of(p);
  set.reload();
  const rule = set.rules.get(ruleName);
  if (!rule) throw new CliError(noRuleNamed(ruleName, [...set.rules.keys()]));
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new CliError(`${abs} does not exist`);
  const result = await dryRun(rule, abs);
  if (opts.json) printJson(result);
  else {
    const head = result.match ? `${path.basename(abs)} matches rule "${rule.name}"` : `${path.basename(abs)} does not match rule "${rule.name}": ${result.why ?? ''}`;
    process.stdout.write([head, ...result.steps.map((s) => `  ${s}`)].join('\n') + '\n');
  }
  return result.match ? 0 : 1;
}
