/**
 * `dropwork rules program NAME [--approve | --reject | --forget] [--json]`: the rule's program,
 * its replay per example and what its jobs cost with the model; and the person's decision.
 */
import type { Command } from 'commander';
import { formatUsd } from '../agent/pricing.js';
import { CliError, paths, printJson, withStore } from '../commands/shared.js';
import type { Store } from '../queue/store.js';
import { RuleSet } from '../rules/registry.js';
import { noRuleNamed } from '../rules/names.js';
import { decideProgram, liveProgram, modelCostPerFile, noProgramView, programView, savedBy, type Decision } from './decide.js';
import { BY_HELP, cliActor } from '../users/actor.js';
import type { Program } from './store.js';
import { compileTrail } from './trail.js';

interface ProgramOptions {
  approve?: boolean;
  reject?: boolean;
  forget?: boolean;
  json?: boolean;
  by?: string;
}

function describe(store: Store, p: Program): string {
  const perFile = modelCostPerFile(store, p);
  const lines = [`${p.rule}: program v${p.version}, ${p.status.replace('_', ' ')}${p.approvedBy ? ` (approved ${p.approvedBy})` : ''}${p.reason ? `: ${p.reason}` : ''}`];
  if (p.status === 'suggested') lines.push(`a program is ready: approve it with \`dropwork rules program ${p.rule} --approve\`, or --reject`);
  lines.push(`learned by compile job ${p.compileJob ?? '?'} from jobs ${p.examples.join(', ')}`);
  for (const r of p.replay) lines.push(`  replay of job ${r.job} (${r.input}): ${r.exact ? `same result, ${r.durationMs} ms` : r.differences.join('; ')}`);
  lines.push(`with the model each file cost about ${formatUsd(perFile)}; the program costs $0${p.runs ? ` (${p.runs} file(s) so far, about ${formatUsd(savedBy(store, p, perFile))} saved)` : ''}${p.fallbacks ? `; ${p.fallbacks} file(s) went back to the agent` : ''}`);
  if (p.source !== null) lines.push('', `program/main.py (sha256 ${p.sourceSha256?.slice(0, 12) ?? '?'}):`, p.source.trimEnd());
  return `${lines.join('\n')}\n`;
}

export function rulesProgram(name: string, opts: ProgramOptions): void {
  const chosen: Decision[] = (['approve', 'reject', 'forget'] as const).filter((d) => opts[d]);
  if (chosen.length > 1) throw new CliError('say one of --approve, --reject, --forget');
  const p = paths();
  const set = RuleSet.of(p);
  set.reload();
  const rule = set.rules.get(name);
  // A program belongs to a rule of the rules folder: a typo must not read as "no program yet".
  if (!rule) throw new CliError(noRuleNamed(name, [...set.rules.keys()]));
  withStore((store) => {
    const decision = chosen[0];
    if (decision) {
      const r = decideProgram(store, name, decision, cliActor(opts.by).by, rule);
      if (!r.ok) throw new CliError(r.why);
      if (opts.json) return printJson(r.program ? programView(store, r.program) : { rule: name, retired: r.retired ?? 0 });
      if (decision === 'forget') return void process.stdout.write(r.retired ? `${name}: its program is retired; the next files go to the agent, which relearns the task\n` : `${name} has no program to forget\n`);
      const v = r.program?.version ?? '?';
      return void process.stdout.write(decision === 'approve' ? `${name}: program v${v} approved; new files run it, without the model\n` : `${name}: program v${v} rejected; the agent goes on (no new compile until the rule's text changes)\n`);
    }
    const current = liveProgram(store, name, rule);
    if (!current) {
      const v = noProgramView(store, name, rule);
      if (opts.json) return printJson(v);
      return void process.stdout.write(`${name} has no program yet (${String(v.examples)} example(s) kept${rule ? ` of the ${rule.compile.after} it learns from` : ''})\n${compileTrail(store, name)}`);
    }
    if (opts.json) return printJson(programView(store, current));
    process.stdout.write(describe(store, current) + compileTrail(store, name));
  });
}

export function addProgramCommand(program: Command): void {
  const rules = program.commands.find((c) => c.name() === 'rules');
  rules?.command('program').argument('<rule>').description("a rule's learned program: its source, its replay on each example, what it saves")
    .option('--approve', 'run new files with the program, without the model')
    .option('--reject', 'do not use this program')
    .option('--forget', 'retire the program: the agent does the files again and relearns')
    .option('--by <name>', BY_HELP).option('--json', 'as JSON').action(rulesProgram);
}
