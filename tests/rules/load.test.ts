import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleText } from '../../src/rules/load.js';
import { RuleSet } from '../../src/rules/registry.js';
import { REPO } from '../support/home.js';

const HOME = '/home/me/dropwork';
const load = (yaml: string) => loadRuleText(yaml, 'rules/test.yaml', HOME);

describe('rule files', () => {
  it('loads a deterministic rule with its defaults and absolute folders', () => {
    const { rules, errors } = load('name: photos\nwatch: inbox/photos\nactions:\n  - move: "{modified:YYYY}"\n');
    expect(errors).toEqual([]);
    expect(rules[0]).toMatchObject({
      name: 'photos', watch: [`${HOME}/inbox/photos`], files: ['*'], recursive: false,
      output: `${HOME}/outputs/photos`, concurrency: 1, notify: 'always', approve: 'never', after: { kind: 'keep' },
      actions: [{ kind: 'move', target: '{modified:YYYY}', onConflict: 'rename' }],
    });
  });

  it('points at the line and column of the offending key, with the field path', () => {
    const yaml = 'name: photos\nwatch: inbox\nactions:\n  - copy: out\n  - shred: now\nfolder: x\n';
    const { errors } = load(yaml);
    const messages = errors.map((e) => e.message);
    expect(messages).toContain('rules/test.yaml:6:1 folder: unknown key "folder" (did you mean "watch"?)');
    expect(messages).toContain('rules/test.yaml:5:5 actions[1].shred: unknown key "shred"');
  });

  it('locates errors inside a list of rules', () => {
    const yaml = '- name: a\n  watch: in\n  actions: [{copy: x}]\n- name: b\n  watch: in\n  actions:\n    - rename: "{nme}.pdf"\n';
    const { rules, errors } = load(yaml);
    expect(rules.map((r) => r.name)).toEqual(['a']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location).toMatchObject({ line: 7, col: 7, field: 'rules[1].actions[0].rename' });
    expect(errors[0]?.detail).toMatch(/unknown placeholder \{nme\}/);
  });

  it('reports every problem of a step at once: a bad on_conflict does not hide a bad template', () => {
    const yaml = 'name: a\nwatch: in\nactions:\n  - rename: "{nme}.pdf"\n    on_conflict: merge\n    colour: red\n  - copy: "{date:QQ}"\n    move: x\nsandbox:\n  network: maybe\n  max_command_s: 0\n';
    expect(load(yaml).errors.map((e) => e.message).sort()).toEqual([
      'rules/test.yaml:10:3 sandbox.network: must be true (every host), false (none), or {allow: [hosts]}, not "maybe"',
      'rules/test.yaml:11:3 sandbox.max_command_s: must be at least 1, not 0',
      'rules/test.yaml:4:5 actions[0].rename: unknown placeholder {nme}; known: {name} {ext} {rule} {sha8} {date} {modified:FORMAT} {created:FORMAT}',
      'rules/test.yaml:5:5 actions[0].on_conflict: must be rename, skip or overwrite, not "merge"',
      'rules/test.yaml:6:5 actions[0].colour: unknown key "colour"',
      'rules/test.yaml:7:5 actions[1]: has copy and move; one step per list item',
    ]);
  });

  it('suggests the closest key or value at every level: rule, step, sandbox', () => {
    const yaml = 'nme: a\nwach: in\nactions:\n  - copy: x\n    on_conflic: skip\n  - reanme: y\nsandbox: {netwrok: true, max_comand_s: 4}\nnotify: failure\napprove: frist\noutput_folder: x\nfolder: y\n';
    const messages = load(yaml).errors.map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([
      'rules/test.yaml:1:1 nme: unknown key "nme" (did you mean "name"?)',
      'rules/test.yaml:2:1 wach: unknown key "wach" (did you mean "watch"?)',
      'rules/test.yaml:5:5 actions[0].on_conflic: unknown key "on_conflic" (did you mean "on_conflict"?)',
      'rules/test.yaml:6:5 actions[1].reanme: unknown key "reanme" (did you mean "rename"?)',
      'rules/test.yaml:7:11 sandbox.netwrok: unknown key "netwrok" (did you mean "network"?)',
      'rules/test.yaml:7:26 sandbox.max_comand_s: unknown key "max_comand_s" (did you mean "max_command_s"?)',
      'rules/test.yaml:8:1 notify: must be always, failures or never, not "failure" (did you mean "failures"?)',
      'rules/test.yaml:9:1 approve: must be never, first, always or tools, not "frist" (did you mean "first"?)',
      'rules/test.yaml:10:1 output_folder: unknown key "output_folder" (did you mean "output"?)',
      'rules/test.yaml:11:1 folder: unknown key "folder" (did you mean "watch"?)',
    ]));
    // No far-fetched guesses.
    expect(load('name: a\nwatch: in\nactions: [{copy: x}]\nzzz: 1\n').errors[0]?.message).toBe('rules/test.yaml:4:1 zzz: unknown key "zzz"');
  });

  it('refuses a rule with both actions and do, or neither', () => {
    expect(load('name: a\nwatch: in\nactions: [{copy: x}]\ndo: summarise it\n').errors[0]?.message).toMatch(/:4:1 do: a rule has `actions` or `do`, not both/);
    expect(load('name: a\nwatch: in\n').errors[0]?.message).toMatch(/needs `actions` \(steps\) or `do`/);
  });

  it('reports a YAML syntax error with its position', () => {
    const { errors } = load('name: a\nwatch: [in\n');
    expect(errors[0]?.message).toMatch(/^rules\/test.yaml:\d+:\d+ /);
  });

  it('checks cron expressions, time zones, globs and conflict policies', () => {
    const msgs = load('name: a\nschedule: "every monday"\ntimezone: Mars/Base\ndo: x\non_conflict: merge\n').errors.map((e) => e.message).join('\n');
    expect(msgs).toMatch(/schedule: "every monday" is not a cron expression/);
    expect(msgs).toMatch(/timezone: "Mars\/Base" is not a time zone/);
    expect(msgs).toMatch(/on_conflict: must be rename, skip or overwrite/);
  });

  it('accepts every key the README documents', () => {
    const yaml = `name: everything
watch: [inbox/a, ~/Downloads]
files: ["*.pdf", "*.PNG"]
recursive: true
output: outputs/x
do: summarise it
if: it is a receipt
model: claude-sonnet-5-5
max_turns: 10
max_cost_usd: 0.2
concurrency: 2
notify: failures
approve: first
after: {move: done}
sandbox: {network: true}
`;
    const { rules, errors } = load(yaml);
    expect(errors).toEqual([]);
    expect(rules[0]?.watch).toEqual([`${HOME}/inbox/a`, `${process.env.HOME}/Downloads`]);
    expect(rules[0]?.after).toEqual({ kind: 'move', folder: `${HOME}/done` });
  });

  it('loads every example rule in rules/ without a problem', () => {
    const set = new RuleSet(path.join(REPO, 'rules'), HOME);
    set.reload();
    expect(set.errors.map((e) => e.message)).toEqual([]);
    expect(set.list().map((r) => r.name).sort()).toEqual(['meeting-notes', 'receipts', 'sort-by-month', 'weekly-spending']);
  });

  it('loads every YAML block in the README', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      if (/^#\s*config\.yaml/m.test(block)) continue;
      const { rules, errors } = load(block);
      expect(errors.map((e) => e.message), block).toEqual([]);
      expect(rules.length, block).toBeGreaterThan(0);
    }
  });

  it('keeps the last good version of a file that turns invalid, and reports the error', () => {
    const dir = fs.mkdtempSync('/tmp/dropwork-rules-');
    fs.writeFileSync(`${dir}/a.yaml`, 'name: a\nwatch: in\nactions: [{copy: x}]\n');
    fs.writeFileSync(`${dir}/b.yaml`, 'name: b\nwatch: in\nactions: [{copy: y}]\n');
    const set = new RuleSet(dir, HOME);
    set.reload();
    expect([...set.rules.keys()]).toEqual(['a', 'b']);
    fs.writeFileSync(`${dir}/a.yaml`, 'name: a\nwatch: in\nactions: [{cpy: x}]\n');
    set.reload();
    expect([...set.rules.keys()]).toEqual(['a', 'b']);
    expect(set.errors[0]?.message).toMatch(/a\.yaml:3:\d+ actions\[0\]\.cpy: unknown key/);
    expect(set.stale).toEqual([`${dir}/a.yaml`]);
    fs.writeFileSync(`${dir}/a.yaml`, 'name: a2\nwatch: in\nactions: [{copy: x}]\n');
    set.reload();
    expect([...set.rules.keys()]).toEqual(['a2', 'b']);
    expect(set.errors).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });

  it('at a fresh start, two rules with one name: the file sorting first runs, the error names both files', () => {
    const dir = fs.mkdtempSync('/tmp/dropwork-rules-');
    fs.writeFileSync(`${dir}/a.yaml`, 'name: same\nwatch: in\nactions: [{copy: x}]\n');
    fs.writeFileSync(`${dir}/b.yaml`, '\nwatch: in\nname: same\nactions: [{copy: x}]\n');
    const set = new RuleSet(dir, HOME);
    set.reload();
    expect(set.rules.get('same')?.source.file).toBe(`${dir}/a.yaml`);
    expect(set.errors.map((e) => e.message)).toEqual([
      `${dir}/b.yaml:3:1 name: "same" is also the name of the rule at ${dir}/a.yaml:1, which runs instead of this one (of rules with one name, the one in the file that sorts first runs): give one of them another name`,
    ]);
    fs.rmSync(dir, { recursive: true });
  });

  it('a new file reusing a running rule\'s name: the same rule runs as after a restart and in rules check, and the other is an error', () => {
    const dir = fs.mkdtempSync('/tmp/dropwork-rules-');
    fs.writeFileSync(`${dir}/m.yaml`, 'name: receipts\nwatch: in\nactions: [{copy: x}]\n');
    const set = new RuleSet(dir, HOME);
    set.reload();
    // Sorts before the running file, and in a list.
    fs.writeFileSync(`${dir}/0-new.yaml`, '- name: other\n  watch: in2\n  actions: [{copy: y}]\n- name: receipts\n  watch: elsewhere\n  actions: [{copy: y}]\n');
    set.reload();
    const restarted = new RuleSet(dir, HOME);
    restarted.reload();
    for (const s of [set, restarted]) {
      expect(s.rules.get('receipts')?.source.file).toBe(`${dir}/0-new.yaml`);
      expect([...s.rules.keys()]).toEqual(['other', 'receipts']);
      expect(s.errors.map((e) => e.message)).toEqual([
        `${dir}/m.yaml:1:1 name: "receipts" is also the name of the rule at ${dir}/0-new.yaml:4, which runs instead of this one (of rules with one name, the one in the file that sorts first runs): give one of them another name`,
      ]);
    }
    // Removing one hands the name to the other, without an error.
    fs.rmSync(`${dir}/0-new.yaml`);
    set.reload();
    expect(set.rules.get('receipts')?.source.file).toBe(`${dir}/m.yaml`);
    expect(set.errors).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });
});
