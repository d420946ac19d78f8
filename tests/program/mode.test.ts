import { describe, expect, it } from 'vitest';
import { compileMode } from '../../src/program/mode.js';
import { loadRuleText } from '../../src/rules/load.js';
import { ruleWarnings } from '../../src/rules/warnings.js';

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
    expect(compileMode(rule('name: r\nwatch: in\ndo: x\nif: it is an invoice\n'), 'docker')).toEqual({ mode: 'off', why: 'rules with an if: are not compiled yet' });
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
