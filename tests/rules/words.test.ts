/**
 * Rule errors that say what is really wrong (issue 19, item 12): the bad value echoed with the
 * closest allowed word, `watch: ~` said once and truly, one error for one typo, a misindented
 * step said as a misindented step; "the last valid version" only for a file that had one; and
 * a save that logs only the errors of the file that changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleText } from '../../src/rules/load.js';
import { RuleSet } from '../../src/rules/registry.js';
import { exitOf, makeHome, spawnDaemon, waitFor } from '../support/home.js';

const HOME = '/home/me/dropwork';
const messages = (yaml: string): string[] => loadRuleText(yaml, 'rules/r.yaml', HOME).errors.map((e) => e.message);

describe('a wrong value', () => {
  it('is echoed, with the closest allowed word, for after:, on_conflict: and every choice', () => {
    expect(messages('name: a\nwatch: in\nafter: trsh\nactions:\n  - copy: x\n    on_conflict: overwite\nnotify: failure\n')).toEqual([
      'rules/r.yaml:6:5 actions[0].on_conflict: must be rename, skip or overwrite, not "overwite" (did you mean "overwrite"?)',
      'rules/r.yaml:7:1 notify: must be always, failures or never, not "failure" (did you mean "failures"?)',
      'rules/r.yaml:3:1 after: must be keep, trash, or move: FOLDER, not "trsh" (did you mean "trash"?)',
    ]);
  });

  it('a step whose key is a typo is one error, with its did-you-mean', () => {
    expect(messages('name: a\nwatch: in\nactions:\n  - copyy: x\n')).toEqual(['rules/r.yaml:4:5 actions[0].copyy: unknown key "copyy" (did you mean "copy"?)']);
  });

  it('watch: ~ is one error that says YAML reads ~ as no value', () => {
    expect(messages('name: a\nwatch: ~\nactions: [{copy: x}]\n')).toEqual([
      'rules/r.yaml:2:1 watch: is empty: YAML reads a bare ~ as "no value", not as your home folder (write a folder such as ~/Inbox): it must be a folder or a list of folders',
    ]);
    expect(messages('name: a\nwatch:\nactions: [{copy: x}]\n')).toEqual(['rules/r.yaml:2:1 watch: is empty: it must be a folder or a list of folders']);
  });
});

describe('a misindented step', () => {
  it('between the "- " and the keys of the step above: says so, not "a closing quote is missing"', () => {
    const [only, ...rest] = messages('name: a\nwatch: in\nactions:\n  - copy: originals\n   rename: "{name}{ext}"\n');
    expect(rest).toEqual([]);
    expect(only).toMatch(/^rules\/r\.yaml:5:1 "rename:" is indented between the "- " of the list item above and that item's first key: a new item \(such as a new step\) starts with "- "/);
    expect(only).not.toMatch(/closing quote/);
  });

  it('indented under the step above, or at the rule\'s level: says where a step goes', () => {
    expect(messages('name: a\nwatch: in\nactions:\n  - copy: originals\n      rename: x\n')[0]).toMatch(/indented more than "copy:", so YAML reads it as part of copy's value: .*a new item \(a new step\) starts with "- "/);
    expect(messages('name: a\nwatch: in\nactions:\n  - copy: originals\nrename: x\n')).toEqual([
      'rules/r.yaml:5:1 rename: "rename" is a step, not a key of the rule: put it in the `actions:` list, as "  - rename: ..." (one step per "- " item)',
    ]);
  });
});

describe('the last valid version', () => {
  it('is kept only for a file that had one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-rules-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nwatch: in\nactions: [{cpy: x}]\n');
      const set = new RuleSet(dir, HOME);
      set.reload();
      expect(set.stale).toEqual([]);
      fs.writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nwatch: in\nactions: [{cpy: y}]\n');
      set.reload();
      // Never valid: nothing to keep, so nothing is said to be kept.
      expect(set.stale).toEqual([]);
      fs.writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nwatch: in\nactions: [{copy: y}]\n');
      set.reload();
      fs.writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nwatch: in\nactions: [{cpy: z}]\n');
      set.reload();
      expect(set.stale).toEqual([path.join(dir, 'a.yaml')]);
      expect([...set.rules.keys()]).toEqual(['a']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the daemon\'s log', () => {
  it('logs a file\'s errors when they change, not again on every other file\'s save', async () => {
    const home = makeHome({ rules: { 'bad.yaml': 'name: bad\nwatch: inbox/b\nactions: [{cpy: x}]\n', 'good.yaml': 'name: good\nwatch: inbox/g\nactions: [{copy: x}]\n' } });
    const daemon = await spawnDaemon(home);
    try {
      const said = (): number => daemon.output().split('actions[0].cpy: unknown key').length - 1;
      expect(said()).toBe(1);
      expect(daemon.output()).not.toContain('keeping the last valid version');
      home.writeRule('good.yaml', 'name: good\nwatch: inbox/g\nactions: [{copy: y}]\n');
      home.writeRule('other.yaml', 'name: other\nwatch: inbox/o\nactions: [{copi: y}]\n');
      await waitFor(() => daemon.output().includes('actions[0].copi'), 20_000, 'the new file\'s error');
      expect(said()).toBe(1);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
      home.cleanup();
    }
  });
});
