/** Rules may not watch dropwork's own folders nor write into them (issue 11). */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRuleText } from '../../src/rules/load.js';
import { cli, makeHome, type TestHome } from '../support/home.js';

const HOME = '/home/me/dropwork';
const load = (yaml: string) => loadRuleText(yaml, 'rules/test.yaml', HOME);

describe('dropwork\'s own folders', () => {
  it.each([
    ['watch: .', 'rules/test.yaml:2:1 watch: /home/me/dropwork is or holds dropwork\'s own folder'],
    ['watch: ..', 'rules/test.yaml:2:1 watch: /home/me is or holds'],
    ['watch: /', 'rules/test.yaml:2:1 watch: / is or holds'],
    ['watch: [inbox/a, rules]', 'rules/test.yaml:2:18 watch[1]: /home/me/dropwork/rules is inside dropwork\'s own folder'],
    ['watch: logs/x', 'watch: /home/me/dropwork/logs/x is inside'],
    ['watch: inbox\noutput: rules', 'rules/test.yaml:3:1 output: /home/me/dropwork/rules is inside'],
    ['watch: inbox\noutput: .', 'output: /home/me/dropwork is or holds'],
    ['watch: inbox\nafter: {move: rules/x}', 'rules/test.yaml:3:9 after.move: /home/me/dropwork/rules/x is inside'],
    ['schedule: "0 * * * *"\ninput: jobs', 'input: /home/me/dropwork/jobs is inside'],
  ])('refuses %j with a located error', (yaml, message) => {
    const { rules, errors } = load(`name: r\n${yaml}\ndo: Sort it.\n`);
    expect(rules).toEqual([]);
    expect(errors.map((e) => e.message).join('\n')).toContain(message);
  });

  it('keeps the usual layout: inboxes and outputs under the home', () => {
    const { rules, errors } = load('name: r\nwatch: inbox/receipts\noutput: outputs/receipts\nafter: {move: done}\ndo: Sort it.\n');
    expect(errors).toEqual([]);
    expect(rules).toHaveLength(1);
  });

  it('locates the field in a list of rules', () => {
    const { errors } = load('- name: ok\n  watch: inbox/a\n  do: x\n- name: bad\n  watch: .\n  do: x\n');
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/^rules\/test\.yaml:5:3 rules\[1\]\.watch: \/home\/me\/dropwork is or holds/)]);
  });
});

describe('dropwork rules check', () => {
  let home: TestHome;
  afterEach(() => home.cleanup());

  it('refuses a rule watching the home, as FILE:LINE:COL field: message', async () => {
    home = makeHome({ rules: { 'steal.yaml': 'name: steal\nwatch: .\nrecursive: true\nactions: [{copy: x}]\n' } });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${path.join(home.paths.rulesDir, 'steal.yaml')}:2:1 watch: ${home.paths.home} is or holds dropwork's own folder`);
  });
});
