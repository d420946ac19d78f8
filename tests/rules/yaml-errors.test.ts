import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { rulesCheck } from '../../src/doctor/checks/rules.js';
import { doctorContext } from '../../src/doctor/run.js';
import { resolvePaths } from '../../src/paths.js';
import { loadRuleFile, loadRuleText } from '../../src/rules/load.js';
import { RuleSet } from '../../src/rules/registry.js';

const HOME = '/home/me/dropwork';
const load = (yaml: string) => loadRuleText(yaml, 'rules/r.yaml', HOME);
const LOCATED = /^rules\/r\.yaml:\d+:\d+ \S/;

/** Every message located at FILE:LINE:COL, and one at `where` ("3:8", or "2:" for a line) matching `what`. */
function expectOne(yaml: string, where: string, what: RegExp): void {
  const { errors } = load(yaml);
  for (const e of errors) expect(e.message).toMatch(LOCATED);
  const prefix = `rules/r.yaml:${where}${where.endsWith(':') ? '' : ' '}`;
  const hit = errors.find((e) => e.message.startsWith(prefix) && what.test(e.message));
  expect(hit?.message, errors.map((e) => e.message).join('\n')).toMatch(what);
}

describe('YAML mistakes, located and in plain words', () => {
  it('an unquoted * pattern: says to quote it, with the fixed line', () => {
    expectOne('name: a\nwatch: in\nfiles: *.pdf\nactions: [{copy: x}]\n', '3:8', /must be in quotes: files: "\*\.pdf"/);
    expectOne('name: a\nwatch: in\nfiles:\n  - "*.png"\n  - *.pdf\nactions: [{copy: x}]\n', '5:5', /must be in quotes: - "\*\.pdf"/);
    expectOne('name: a\nwatch: in\nfiles: ["*.png", *.pdf]\nactions: [{copy: x}]\n', '3:18', /must be in quotes: "\*\.pdf"/);
  });

  it('refuses anchors, aliases and tags, so an alias bomb is one more refused file', () => {
    expectOne('name: &n a\nwatch: in\nactions: [{copy: x}]\n', '1:7', /starts with & must be in quotes: name: "&n a"/);
    expectOne('name: !x a\nwatch: in\nactions: [{copy: x}]\n', '1:7', /starts with ! must be in quotes/);
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\n${'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`).join('\n')}\n`;
    const started = Date.now();
    const { errors } = load(bomb);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(21);
    for (const e of errors) expect(e.message).toMatch(LOCATED);
    expect(errors[0]?.message).toMatch(/does not accept YAML anchors/);
  });

  it('a colon inside plain text: says to use `do: |`', () => {
    expectOne('name: a\nwatch: in\ndo: Summarise it: the notes please\n', '3:5', /colon in it.*use `do: \|`/);
    expectOne('name: a\nwatch: in\ndo: Read it\n  and then: list the items\n', '3:5', /colon in it.*use `do: \|`/);
  });

  it('tabs, duplicate keys, bad indentation, unclosed quotes and brackets, backslashes', () => {
    expectOne('name: a\n\twatch: in\n', '2:1', /indented with a tab: indent with spaces/);
    expectOne('name: a\nwatch: in\nname: b\nactions: [{copy: x}]\n', '3:1', /"name" appears twice/);
    expectOne('name: a\n  watch: in\n', '1:7', /next line is indented more than this one/);
    expectOne('name: "a\nwatch: in\n', '3:1', /quote opened here is not closed/);
    expectOne('name: a\nfiles: ["*.pdf"\nwatch: in\n', '3:1', /\[ opened .* is not closed/);
    expectOne('name: a\nwatch: "C:\\Users\\me"\n', '2:11', /use single quotes/);
    expectOne('name: @home\n', '1:7', /cannot start with @: put the value in quotes, e.g. name: "@home"/);
  });

  it('empty list items, bare words and lists of lists are errors at their place, not crashes', () => {
    const { rules, errors } = load('- null\n- name: a\n  watch: in\n  actions: [{copy: x}]\n-\n- just words\n- [1, 2]\n');
    expect(rules.map((r) => r.name)).toEqual(['a']);
    expect(errors.map((e) => e.message)).toEqual([
      'rules/r.yaml:1:3 rules[0]: is empty (a "-" with nothing after it): remove it, or write a rule there',
      'rules/r.yaml:5:2 rules[2]: is empty (a "-" with nothing after it): remove it, or write a rule there',
      'rules/r.yaml:6:3 rules[3]: is not a rule: each item of a list of rules is a mapping with name:, watch:, ...',
      'rules/r.yaml:7:3 rules[4]: is not a rule: each item of a list of rules is a mapping with name:, watch:, ...',
    ]);
    expectOne('name: a\nwatch: in\nactions:\n  - null\n', '4:5', /each action is a mapping/);
    expectOne('just a sentence\n', '1:1', /a rule file holds a rule/);
  });

  it('binary, non-UTF-8, control characters, huge and deeply nested files', () => {
    expectOne('name: a\0b\nwatch: in\n', '1:8', /control character \(0x00\)/);
    expectOne(`name: a\nwatch: ${'['.repeat(5000)}\n`, '2:', /nested too deeply/);
    expectOne(`name: a\nwatch: ${'['.repeat(40)}${']'.repeat(40)}\n`, '2:', /nested 17 levels deep/);
    expectOne(`name: a\nx:\n${Array.from({ length: 40 }, (_, i) => `${' '.repeat(2 * i + 2)}-${i === 39 ? ' a' : ''}`).join('\n')}\n`, '18:', /nested 17 levels deep/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-yaml-'));
    fs.writeFileSync(path.join(dir, 'latin1.yaml'), Buffer.concat([Buffer.from('name: a\nwatch: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(loadRuleFile(path.join(dir, 'latin1.yaml'), HOME).errors[0]?.message).toBe(`${dir}/latin1.yaml:2:11 is not plain text here (byte 0xe9 is not UTF-8): save the file as UTF-8 text, or check that it is the right file`);
    fs.writeFileSync(path.join(dir, 'huge.yaml'), Buffer.alloc(3 << 20, 0x61));
    expect(loadRuleFile(path.join(dir, 'huge.yaml'), HOME).errors[0]?.message).toMatch(/huge\.yaml:1:1 is 3\.0 MB; settings files are plain text/);
    fs.writeFileSync(path.join(dir, 'bom.yaml'), '\uFEFFname: a\nwatch: in\nactions: [{copy: x}]\n');
    expect(loadRuleFile(path.join(dir, 'bom.yaml'), HOME).errors).toEqual([]);
    fs.mkdirSync(path.join(dir, 'folder.yaml'));
    expect(loadRuleFile(path.join(dir, 'folder.yaml'), HOME).errors[0]?.message).toBe(`${dir}/folder.yaml:1:1 is a folder, not a file`);
    fs.rmSync(dir, { recursive: true });
  });

  it('a bad file costs only itself: the other files of the folder load', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-yaml-'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nwatch: in\nfiles: *.pdf\nactions: [{copy: x}]\n');
    fs.writeFileSync(path.join(dir, 'b.yaml'), '- null\n');
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'name: c\nwatch: in\nactions: [{copy: x}]\n');
    const set = new RuleSet(dir, HOME);
    set.reload();
    expect(set.list().map((r) => r.name)).toEqual(['c']);
    expect(set.errors.map((e) => e.location.file)).toEqual([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('config.yaml mistakes', () => {
  const withConfig = (text: string | Buffer): string => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-config-')), 'config.yaml');
    fs.writeFileSync(file, text);
    return file;
  };

  it('a YAML error: located, in plain words, and the defaults stand in', () => {
    const file = withConfig('concurrency: *4\nsettle_ms: 100\n');
    const { config, errors } = loadConfig(file, {});
    expect(errors.map((e) => e.message)).toEqual([`${file}:1:14 a value that starts with * must be in quotes: concurrency: "*4" (unquoted, YAML reads *name as a reference to another part of the file)`]);
    expect(config.concurrency).toBe(2);
  });

  it('a list, a bare word, a second document, binary: located errors, never thrown', () => {
    for (const [text, where, what] of [
      ['- concurrency: 2\n', '1:1', /settings as lines of "key: value"/],
      ['concurrency\n', '1:1', /settings as lines of "key: value"/],
      ['concurrency: 2\n---\nport: 1\n', '3:1', /everything after the `---` line is ignored/],
      ['\x7fELF\x02\x01', '1:1', /control character/],
    ] as const) {
      const file = withConfig(text);
      const { errors } = loadConfig(file, {});
      expect(errors[0]?.message, text).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${where} `));
      expect(errors[0]?.message, text).toMatch(what);
    }
  });
});

describe('dropwork doctor on the same mistakes', () => {
  it('names file, line and column for a rule file and config.yaml, and warns about concurrency', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-doctor-'));
    const paths = resolvePaths({ DROPWORK_HOME: dir });
    fs.mkdirSync(paths.rulesDir, { recursive: true });
    fs.writeFileSync(path.join(paths.rulesDir, 'scans.yaml'), 'name: scans\nwatch: in\nfiles: *.pdf\nactions: [{copy: x}]\n');
    fs.writeFileSync(paths.configFile, 'port: &p 1\n');
    const broken = await rulesCheck.run(doctorContext(paths, {}));
    expect(broken.status).toBe('fail');
    expect(broken.summary).toContain(`${paths.configFile}:1:7 a value that starts with & must be in quotes`);
    expect(broken.summary).toContain(`${paths.rulesDir}/scans.yaml:3:8 a value that starts with * must be in quotes: files: "*.pdf"`);
    fs.writeFileSync(path.join(paths.rulesDir, 'scans.yaml'), 'name: scans\nwatch: in\nconcurrency: 3\nactions: [{copy: x}]\n');
    fs.writeFileSync(paths.configFile, 'concurrency: 1\n');
    const warned = await rulesCheck.run(doctorContext(paths, {}));
    expect(warned).toMatchObject({ status: 'warn', summary: expect.stringContaining(`${paths.rulesDir}/scans.yaml:3:1 concurrency: asks for 3 jobs at once`) as unknown });
    fs.rmSync(dir, { recursive: true });
  });
});
