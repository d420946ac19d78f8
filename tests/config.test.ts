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

  it('takes DROPWORK_PORT and DROPWORK_NOTIFY=off from the environment', () => {
    const { config } = loadConfig('/nonexistent', { DROPWORK_PORT: '9999', DROPWORK_NOTIFY: 'off' });
    expect(config).toMatchObject({ port: 9999, notify: false });
  });
});
