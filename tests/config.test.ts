import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults, loadConfig } from '../src/config.js';
import { REPO } from './support/home.js';

function withFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-config-')), 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('config.yaml', () => {
  it('is optional: every key has a default', () => {
    expect(loadConfig('/nonexistent/config.yaml', {}).config).toEqual(defaults);
  });

  it('loads the example in the README', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const block = /```yaml\n(# config\.yaml[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const { config, errors } = loadConfig(withFile(block ?? ''), {});
    expect(errors).toEqual([]);
    expect(config.concurrency).toBe(2);
  });

  it('reports a bad key with its location and keeps the defaults for it', () => {
    const file = withFile('concurrency: 4\nsettle_ms: soon\nnotfy: false\n');
    const { config, errors } = loadConfig(file, {});
    expect(errors.map((e) => e.message)).toEqual([
      `${file}:2:1 settle_ms: must be a number, not "soon"`,
      `${file}:3:1 notfy: unknown key "notfy" (did you mean "notify"?)`,
    ]);
    expect(config.concurrency).toBe(4);
    expect(config.settle_ms).toBe(defaults.settle_ms);
  });

  it('suggests the closest key at every level: settings, provider, prices', () => {
    const file = withFile('concurency: 4\nprovider:\n  baseurl: http://127.0.0.1:1\n  pdf: txt\nprices:\n  my-model: {input: 1, ouptut: 2}\nsandbox: dokcer\nlog_level: warning\n');
    const { config, errors } = loadConfig(file, {});
    expect(errors.map((e) => e.message).sort()).toEqual([
      `${file}:1:1 concurency: unknown key "concurency" (did you mean "concurrency"?)`,
      `${file}:3:3 provider.baseurl: unknown key "baseurl" (did you mean "base_url"?)`,
      `${file}:4:3 provider.pdf: must be document or text, not "txt" (did you mean "text"?)`,
      `${file}:6:24 prices.my-model.ouptut: unknown key "ouptut" (did you mean "output"?)`,
      `${file}:6:3 prices.my-model.output: is required: a number`,
      `${file}:7:1 sandbox: must be auto, docker, bubblewrap or none, not "dokcer" (did you mean "docker"?)`,
      `${file}:8:1 log_level: must be debug, info, warn or error, not "warning" (did you mean "warn"?)`,
    ].sort());
    expect(config).toMatchObject({ concurrency: defaults.concurrency, sandbox: 'auto', provider: { pdf: 'document' } });
  });

  it('takes DROPWORK_PORT and DROPWORK_NOTIFY=off from the environment', () => {
    const { config } = loadConfig('/nonexistent', { DROPWORK_PORT: '9999', DROPWORK_NOTIFY: 'off' });
    expect(config).toMatchObject({ port: 9999, notify: false });
  });

  it('a connector is exactly one of command, url or image; headers go with url, and their ${NAME}s are credentials by name', () => {
    const file = withFile([
      'mcp:',
      '  both: {command: node, image: "x:1"}',
      '  none: {args: [a]}',
      '  crm: {image: "crm:1", args: [serve]}',
      '  web: {url: "https://mcp.example.org/mcp"}',
      '  lost: {command: node, headers: {X-A: b}}',
      '  typo: {url: "https://mcp.example.org/mcp", headers: {Authorization: "Bearer ${notion token}"}}',
    ].join('\n') + '\n');
    const { errors } = loadConfig(file, {});
    expect(errors.map((e) => e.message)).toEqual([
      `${file}:2:3 mcp.both: needs exactly one of \`command\` (a program), \`url\` (a streamable-HTTP server) or \`image\` (a container image)`,
      `${file}:3:3 mcp.none: needs exactly one of \`command\` (a program), \`url\` (a streamable-HTTP server) or \`image\` (a container image)`,
      `${file}:6:25 mcp.lost.headers: only means something with \`url\``,
      `${file}:7:56 mcp.typo.headers.Authorization: names "\${notion token}", which is not a credentials.env name such as \${NOTION_TOKEN}`,
    ]);
    const good = loadConfig(withFile([
      'mcp:',
      '  crm: {image: "crm:1", args: [serve], env: [CRM_TOKEN], network: {allow: [api.example.org]}}',
      '  web: {url: "https://mcp.example.org/mcp", headers: {Authorization: "Bearer ${NOTION_TOKEN}", X-Team: ops}}',
    ].join('\n') + '\n'), {});
    expect(good.errors).toEqual([]);
    const config = good.config;
    expect(config.mcp.crm).toMatchObject({ image: 'crm:1', args: ['serve'], env: ['CRM_TOKEN'], network: { allow: ['api.example.org'] } });
    expect(config.mcp.web).toMatchObject({ headers: { Authorization: 'Bearer ${NOTION_TOKEN}', 'X-Team': 'ops' }, env: ['NOTION_TOKEN'] });
  });
});
