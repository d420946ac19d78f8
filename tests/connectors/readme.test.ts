/**
 * Every YAML example of the README's "Connectors and the network" section, word for word from
 * the README, through the real loaders: a rule file through the rule loader, a config.yaml
 * block through loadConfig. An example that stops loading fails here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadRuleFile } from '../../src/rules/load.js';
import { REPO } from '../agent/helpers.js';

const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
const section = /## Connectors and the network\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);

it('the section has its examples: two rules and a config.yaml', () => {
  expect(blocks.map((b) => b.split('\n')[0])).toEqual(['# rules/notion-export.yaml', '# config.yaml (connectors)', '# rules/notes.yaml']);
});

it.each(blocks.filter((b) => b.startsWith('# rules/')).map((b) => [b.split('\n')[0], b]))('%s loads without errors', (_name, yaml) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-readme-'));
  try {
    const file = path.join(home, 'rule.yaml');
    fs.writeFileSync(file, yaml);
    const { rules, errors } = loadRuleFile(file, home);
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(rules).toHaveLength(1);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

it('the rules say what the section says they do', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-readme-'));
  try {
    const load = (yaml: string) => {
      const file = path.join(home, 'rule.yaml');
      fs.writeFileSync(file, yaml);
      return loadRuleFile(file, home).rules[0];
    };
    expect(load(blocks[0] as string)?.sandbox.network).toEqual({ allow: ['api.notion.com', '*.example.org:443', '127.0.0.1:8080'] });
    expect(load(blocks[2] as string)?.tools).toEqual(['notion.search', 'notion.create_page', 'mail']);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

it('the config.yaml example loads, with its four connectors', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-readme-'));
  try {
    const file = path.join(home, 'config.yaml');
    fs.writeFileSync(file, blocks[1] as string);
    const { config, errors } = loadConfig(file, {});
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(config.mcp.notion).toMatchObject({ command: 'npx', env: ['NOTION_TOKEN'], network: { allow: ['api.notion.com'] }, timeout_s: 60 });
    expect(config.mcp.mail).toMatchObject({ url: 'http://127.0.0.1:8765/mcp', timeout_s: 30 });
    expect(config.mcp.crm).toMatchObject({ url: 'https://mcp.crm.example.org/mcp', headers: { Authorization: 'Bearer ${CRM_TOKEN}' }, env: ['CRM_TOKEN'] });
    expect(config.mcp.tickets).toMatchObject({ image: 'ghcr.io/example/tickets-mcp:1.4', args: ['--stdio'], env: ['TICKETS_TOKEN'], network: { allow: ['tickets.example.org'] } });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
