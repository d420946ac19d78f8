/**
 * `dropwork rules program NAME [--approve | --reject | --forget] [--json]`: the rule's program,
 * its replay per example and what its jobs cost with the model; and the person's decision.
 */
import type { Command } from 'commander';
import { formatUsd } from '../agent/pricing.js';
import { CliError, paths, printJson, withStore } from '../commands/shared.js';
import { RuleSet } from '../rules/registry.js';
import type { Store } from '../queue/store.js';
import { currentProgram, decide, examplesOf, programsOf, retire, type Program } from './store.js';

interface ProgramOptions {
  approve?: boolean;
  reject?: boolean;
  forget?: boolean;
  json?: boolean;
}

/** The average model cost of the rule's example jobs: what each file run by the program saves. */
function modelCostPerFile(store: Store, program: Program): number {
  if (program.examples.length === 0) return 0;
  const row = store.db.prepare('SELECT AVG(cost_usd) AS c FROM jobs WHERE id IN (SELECT value FROM json_each(?))').get(JSON.stringify(program.examples)) as { c: number | null };
  return row.c ?? 0;
}

function view(store: Store, p: Program): Record<string, unknown> {
  const perFile = modelCostPerFile(store, p);
  return {
    rule: p.rule, version: p.version, status: p.status, reason: p.reason, approved_by: p.approvedBy,
    compile_job: p.compileJob, examples: p.examples, replay: p.replay, runs: p.runs, fallbacks: p.fallbacks,
    model_cost_per_file_usd: perFile, saved_usd: perFile * p.runs, source_sha256: p.sourceSha256, source: p.source,
  };
}

function describe(store: Store, p: Program): string {
  const perFile = modelCostPerFile(store, p);
  const lines = [`${p.rule}: program v${p.version}, ${p.status.replace('_', ' ')}${p.approvedBy ? ` (approved ${p.approvedBy})` : ''}${p.reason ? `: ${p.reason}` : ''}`];
  if (p.status === 'suggested') lines.push(`a program is ready: approve it with \`dropwork rules program ${p.rule} --approve\`, or --reject`);
  lines.push(`learned by compile job ${p.compileJob ?? '?'} from jobs ${p.examples.join(', ')}`);
  for (const r of p.replay) lines.push(`  replay of job ${r.job} (${r.input}): ${r.exact ? `same result, ${r.durationMs} ms` : r.differences.join('; ')}`);
  lines.push(`with the model each file cost about ${formatUsd(perFile)}; the program costs $0${p.runs ? ` (${p.runs} file(s) so far, about ${formatUsd(perFile * p.runs)} saved)` : ''}${p.fallbacks ? `; ${p.fallbacks} file(s) went back to the agent` : ''}`);
  if (p.source !== null) lines.push('', `program/main.py (sha256 ${p.sourceSha256?.slice(0, 12) ?? '?'}):`, p.source.trimEnd());
  return `${lines.join('\n')}\n`;
}

export function rulesProgram(name: string, opts: ProgramOptions): void {
  const chosen = [opts.approve, opts.reject, opts.forget].filter(Boolean).length;
  if (chosen > 1) throw new CliError('say one of --approve, --reject, --forget');
  const p = paths();
  const set = new RuleSet(p.rulesDir, p.home);
  set.reload();
  const rule = set.list().find((r) => r.name === name);
  withStore((store) => {
    if (opts.forget) {
      const n = retire(store.db, name, 'forgotten by hand');
      if (opts.json) return printJson({ rule: name, retired: n });
      return void process.stdout.write(n ? `${name}: its program is retired; the next files go to the agent, which relearns the task\n` : `${name} has no program to forget\n`);
    }
    const current = rule ? currentProgram(store.db, rule) : programsOf(store.db, name).find((x) => x.status !== 'retired');
    if (opts.approve || opts.reject) {
      if (!current || current.status !== 'suggested') throw new CliError(`${name} has no program waiting for a decision${current ? ` (v${current.version} is ${current.status.replace('_', ' ')})` : ''}`);
      decide(store.db, current.id, opts.approve ? 'approved' : 'rejected', 'by hand');
      const after = programsOf(store.db, name).find((x) => x.id === current.id) ?? current;
      if (opts.json) return printJson(view(store, after));
      return void process.stdout.write(opts.approve ? `${name}: program v${after.version} approved; new files run it, without the model\n` : `${name}: program v${after.version} rejected; the agent goes on (no new compile until the rule's text changes)\n`);
    }
    if (!current) {
      const learned = rule ? examplesOf(store.db, rule).length : 0;
      if (opts.json) return printJson({ rule: name, program: null, examples: learned });
      return void process.stdout.write(`${name} has no program yet (${learned} example(s) kept${rule ? ` of the ${rule.compile.after} it learns from` : ''})\n`);
    }
    if (opts.json) return printJson(view(store, current));
    process.stdout.write(describe(store, current));
  });
}

export function addProgramCommand(program: Command): void {
  const rules = program.commands.find((c) => c.name() === 'rules');
  rules?.command('program').argument('<rule>').description("a rule's learned program: its source, its replay on each example, what it saves")
    .option('--approve', 'run new files with the program, without the model')
    .option('--reject', 'do not use this program')
    .option('--forget', 'retire the program: the agent does the files again and relearns')
    .option('--json', 'as JSON').action(rulesProgram);
}
