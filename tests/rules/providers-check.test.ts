/**
 * `rules check` and doctor refuse what cannot run on the providers config.yaml names
 * (src/rules/providers-check.ts): an unknown provider, a do: rule on a model without tool
 * calls, a condition_provider nobody defined. Through the built CLI, as a person runs it.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, makeHome, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

const CONFIG = [
  'providers:',
  '  local:',
  '    api: openai',
  '    base_url: http://127.0.0.1:11434/v1',
  '    model: gemma:2b',
  '    tools: false',
  'condition_provider: small',
  '',
].join('\n');

describe('rules check with named providers', () => {
  it('refuses a do: rule on a model without tool calls, an unknown provider and condition_provider, each located', async () => {
    home = makeHome({
      rules: {
        'notes.yaml': 'name: notes\nwatch: inbox/notes\ndo: summarise it\nprovider: local\n',
        'other.yaml': 'name: other\nwatch: inbox/other\ndo: summarise it\nprovider: elsewhere\n',
        'sort.yaml': 'name: sort\nwatch: inbox/sort\nif: it is a receipt\nprovider: local\nactions: [{copy: receipts}]\n',
      },
      config: CONFIG,
    });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(1);
    const notes = path.join(home.paths.rulesDir, 'notes.yaml');
    const other = path.join(home.paths.rulesDir, 'other.yaml');
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining([
      `${notes}:4:1 provider: is local, whose model cannot call tools (tools: false in config.yaml), and a do: rule needs them: give this rule a provider whose model can`,
      `${other}:4:1 provider: names provider "elsewhere", which config.yaml's providers: does not define (it has local)`,
      `${home.paths.configFile}:7:1 condition_provider: names provider "small", which providers: does not define (it has local)`,
      `3 problem(s) in ${home.paths.rulesDir}`,
    ]));
    // The rule with actions on the tool-less provider is fine: it asks nothing of tools.
    expect(r.stdout).not.toContain('sort.yaml');

    const doctor = await cli(home, ['doctor', '--json']);
    const rules = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; summary: string }[] }).checks.find((c) => c.id === 'rules');
    expect(rules?.status).toBe('fail');
    expect(rules?.summary).toContain('whose model cannot call tools');
    // Nothing listens on 11434 here: the provider a rule uses cannot be reached, which fails.
    const providers = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; summary: string }[] }).checks.find((c) => c.id === 'providers');
    expect(providers?.status).toBe('fail');
    expect(providers?.summary).toMatch(/^local: http:\/\/127\.0\.0\.1:11434\/v1 cannot be reached \(/);
  });

  it('refuses a key pasted where its variable name belongs', async () => {
    home = makeHome({ rules: {}, config: 'providers:\n  router:\n    api: openai\n    model: qwen/qwen3-32b\n    key_env: sk-or-v1-abc123\n' });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${home.paths.configFile}:5:5 providers.router.key_env: names the variable in credentials.env that holds the key (such as OPENROUTER_API_KEY), not the key itself`);
  });
});
