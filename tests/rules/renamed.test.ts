/**
 * `max_file_mb` meant two limits (a rule's: skip larger files, 2048; config.yaml's: the largest
 * file that travels with its job on a team, 50). The rule's is now `skip_files_over_mb`; the
 * old name still works, with a warning located at it like other rule warnings.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRuleText } from '../../src/rules/load.js';
import { ruleWarnings } from '../../src/rules/warnings.js';
import { cli, makeHome, type TestHome } from '../support/home.js';

function load(text: string) {
  return loadRuleText(text, '/rules/r.yaml', '/home');
}

let home: TestHome | undefined;
afterEach(() => home?.cleanup());

describe('skip_files_over_mb, once max_file_mb', () => {
  it('the old name still sets the limit, with a warning at its line naming the new one', () => {
    const { rules, errors } = load('name: r\nwatch: in\nactions: [{copy: x}]\nmax_file_mb: 5\n');
    expect(errors).toEqual([]);
    expect(rules[0]?.maxFileMb).toBe(5);
    const [warning, ...more] = ruleWarnings(rules, { concurrency: 4 });
    expect(more).toEqual([]);
    expect(warning?.location).toMatchObject({ file: '/rules/r.yaml', line: 4, col: 1, field: 'max_file_mb' });
    expect(warning?.detail).toBe("is now called skip_files_over_mb (config.yaml's max_file_mb is another limit: the largest file that travels with its job to another host); the old name still works: rename it to skip_files_over_mb");
    expect(load('name: r\nwatch: in\nactions: [{copy: x}]\nskip_files_over_mb: 5\n').rules[0]?.maxFileMb).toBe(5);
    expect(ruleWarnings(load('name: r\nwatch: in\nactions: [{copy: x}]\nskip_files_over_mb: 5\n').rules, { concurrency: 4 })).toEqual([]);
  });

  it('renaming the key changes no hash (no approval hold, no file runs again); both names at once is an error', () => {
    const [before] = load('name: r\nwatch: in\nactions: [{copy: x}]\nmax_file_mb: 5\nafter: trash\n').rules;
    const [after] = load('name: r\nwatch: in\nactions: [{copy: x}]\nskip_files_over_mb: 5\nafter: trash\n').rules;
    expect(after?.hash).toBe(before?.hash);
    expect(after?.definition).toBe(before?.definition);
    const both = load('name: r\nwatch: in\nactions: [{copy: x}]\nmax_file_mb: 5\nskip_files_over_mb: 6\n');
    expect(both.rules).toEqual([]);
    expect(both.errors.map((e) => e.message)).toEqual(['/rules/r.yaml:4:1 max_file_mb: is the old name of skip_files_over_mb: keep only skip_files_over_mb']);
  });

  it('rules check shows the warning and exits 0', async () => {
    home = makeHome({ rules: { 'big.yaml': 'name: big\nwatch: inbox/big\nactions: [{copy: x}]\nmax_file_mb: 100\n' } });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${path.join(home.paths.rulesDir, 'big.yaml')}:4:1 max_file_mb: warning: is now called skip_files_over_mb (`);
  });
});
