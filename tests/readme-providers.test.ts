/**
 * The README's providers section (issue 22): its config.yaml loads without a problem, and the
 * receipts rule moved to the local model passes `rules check`'s provider checks against it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { RuleSet } from '../src/rules/registry.js';
import { providerProblems } from '../src/rules/providers-check.js';
import { REPO } from './support/home.js';

const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Any model: providers and `dropwork eval`'), readme.indexOf('## The sandbox'));
const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('the README on providers', () => {
  it('has a config.yaml and a rule that go together', () => {
    expect(blocks).toHaveLength(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-readme-providers-'));
    const [configText, ruleText] = blocks as [string, string];
    fs.writeFileSync(path.join(dir, 'config.yaml'), configText);
    fs.mkdirSync(path.join(dir, 'rules'));
    fs.writeFileSync(path.join(dir, 'rules', 'receipts.yaml'), ruleText);
    const { config, errors } = loadConfig(path.join(dir, 'config.yaml'), {});
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(Object.keys(config.providers)).toEqual(['local', 'small', 'router']);
    expect(config.providers.local).toMatchObject({ api: 'openai', model: 'qwen3:8b', vision: false, context: 32768, tools: true, stream: true });
    expect(config.condition_provider).toBe('small');
    const set = new RuleSet(path.join(dir, 'rules'), dir);
    set.reload();
    expect(set.errors.map((e) => e.message)).toEqual([]);
    expect(set.rules.get('receipts')?.provider).toBe('local');
    expect(providerProblems(set.list(), config, path.join(dir, 'config.yaml')).map((e) => e.message)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
