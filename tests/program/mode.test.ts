import { afterEach, describe, expect, it } from 'vitest';
import { compileMode, describeMode } from '../../src/program/mode.js';
import { loadRuleText } from '../../src/rules/load.js';
import { ruleWarnings } from '../../src/rules/warnings.js';
import { cli, makeHome, type TestHome } from '../support/home.js';

function rule(text: string) {
  const { rules, errors } = loadRuleText(text, '/rules/r.yaml', '/home');
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  return rules[0]!;
}

describe('compile:', () => {
  it('defaults: suggest for a do: rule where a sandbox runs programs, off where none does; 3, 3 and $0.50', () => {
    const r = rule('name: r\nwatch: in\ndo: Add a row.\n');
    expect(r.compile).toEqual({ mode: undefined, after: 3, recompileAfter: 3, maxCostUsd: 0.5 });
    expect(compileMode(r, 'docker')).toEqual({ mode: 'suggest', why: 'the default for do: rules with a sandbox' });
    expect(compileMode(r, 'none')).toEqual({ mode: 'off', why: 'no sandbox here to run a program in' });
    expect(compileMode(rule('name: r\nwatch: in\ndo: x\ncompile: auto\ncompile_after: 5\n'), 'bubblewrap').mode).toBe('auto');
    expect(compileMode(rule('name: r\nwatch: in\nactions: [{copy: x}]\n'), 'docker').mode).toBe('off');
    expect(compileMode(rule('name: r\nwatch: in\ndo: x\ncompile: "off"\n'), 'docker')).toEqual({ mode: 'off', why: 'the rule says compile: off' });
  });

  it('a rule with an if: learns its do: (the condition stays the small model\'s); a scheduled rule learns when it has inboxes to sweep', () => {
    expect(compileMode(rule('name: r\nwatch: in\ndo: x\nif: it is an invoice\n'), 'docker')).toEqual({ mode: 'suggest', why: 'the default for do: rules with a sandbox' });
    // Each swept file is a job of its own, like a watched one.
    expect(compileMode(rule('name: r\nschedule: "0 2 * * *"\nwatch: in\ndo: x\n'), 'docker').mode).toBe('suggest');
    // A firing without inboxes is one job over the whole input: folder: nothing to learn per file.
    expect(compileMode(rule('name: r\nschedule: "0 8 * * MON"\ninput: in\ndo: x\ncompile: auto\n'), 'docker')).toEqual({ mode: 'off', why: 'a scheduled rule without watch: inboxes has no single input file to learn a program from' });
  });

  it('says the mode in plain words: what happens, and why not', () => {
    const r = rule('name: ledger\nwatch: in\ndo: x\n');
    expect(describeMode(r, compileMode(r, 'docker'), { kind: 'docker', reason: 'docker, image x' })).toBe('compile: suggest (the default for do: rules with a sandbox, with docker here): learns a program after 3 agent jobs; it runs once you approve it (dropwork rules program ledger)');
    expect(describeMode(r, compileMode(r, 'none'), { kind: 'none', reason: 'no Docker engine answers' })).toBe('compile: off (no sandbox here to run a program in: no Docker engine answers): the agent does every file');
    const auto = rule('name: ledger\nwatch: in\ndo: x\ncompile: auto\ncompile_after: 5\n');
    expect(describeMode(auto, compileMode(auto, 'bubblewrap'))).toBe('compile: auto (the rule says compile: auto): learns a program after 5 agent jobs; it runs as soon as it reproduces every example');
  });

  it('a bad value is located with the allowed ones', () => {
    const { errors } = loadRuleText('name: r\nwatch: in\ndo: x\ncompile: always\n', '/rules/r.yaml', '/home');
    expect(errors[0]?.message).toMatch(/r\.yaml:4:\d+ compile: must be off, suggest or auto/);
  });

  it('rules check warns (exit 0) when a rule asks to be compiled but cannot be', () => {
    const asked = rule('name: r\nwatch: in\ndo: x\ncompile: auto\n');
    expect(ruleWarnings([asked], { concurrency: 4, sandbox: 'none' }).map((w) => w.message)).toEqual([
      expect.stringMatching(/r\.yaml:4:\d+ compile: is auto, but this rule is not compiled: config.yaml's sandbox is none/),
    ]);
    expect(ruleWarnings([asked], { concurrency: 4, sandbox: 'auto' })).toEqual([]);
    expect(ruleWarnings([rule('name: r\nwatch: in\ndo: x\n')], { concurrency: 4, sandbox: 'none' })).toEqual([]);
  });
});

describe('dropwork rules check: compile', () => {
  let home: TestHome | undefined;
  afterEach(() => home?.cleanup());
  const RULES = {
    'r.yaml': [
      'name: ledger\nwatch: inbox/ledger\ndo: Add a row to ledger.csv.\n',
      'name: invoices\nwatch: inbox/invoices\nif: it is an invoice\ndo: Add a row.\ncompile: auto\n',
      'name: weekly\nschedule: "0 8 * * MON"\ndo: Summarise the week.\n',
      'name: copies\nwatch: inbox/copies\nactions: [{copy: x}]\n',
    ].join('---\n'),
  };

  it('says for each do: rule whether it learns a program, with the sandbox found here, and why not', async () => {
    home = makeHome({ rules: RULES, config: 'sandbox: docker\n' });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'rule "ledger": compile: suggest (the default for do: rules with a sandbox, with docker here): learns a program after 3 agent jobs; it runs once you approve it (dropwork rules program ledger)',
      'rule "invoices": compile: auto (the rule says compile: auto, with docker here): learns a program after 3 agent jobs; it runs as soon as it reproduces every example',
      'rule "weekly": compile: off (a scheduled rule without watch: inboxes has no single input file to learn a program from): the agent does every file',
      '4 rule(s), all valid',
      '',
    ]);
    const json = JSON.parse((await cli(home, ['rules', 'check', '--json'])).stdout) as { rules: { name: string; compile?: { mode: string; why: string; sandbox: string } }[] };
    expect(json.rules.map((x) => [x.name, x.compile?.mode])).toEqual([['ledger', 'suggest'], ['invoices', 'auto'], ['weekly', 'off'], ['copies', undefined]]);
    expect(json.rules[0]?.compile?.sandbox).toMatch(/^docker, image /);
  });

  it('off where no sandbox runs a program, saying why', async () => {
    home = makeHome({ rules: RULES, config: 'sandbox: none\n' });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('rule "ledger": compile: off (no sandbox here to run a program in: sandbox: none in config: agents cannot run commands): the agent does every file\n');
    expect(r.stdout).toMatch(/r\.yaml:\d+:1 compile: warning: is auto, but this rule is not compiled: config.yaml's sandbox is none/);
  });
});
