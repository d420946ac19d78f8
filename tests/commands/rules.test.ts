import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, makeHome, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

describe('dropwork rules check', () => {
  it('exits 0 and counts the rules when all are valid', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: a\nwatch: inbox/a\nactions: [{copy: x}]\n' } });
    const r = await cli(home, ['rules', 'check']);
    expect(r).toMatchObject({ code: 0, stdout: '1 rule(s), all valid\n' });
  });

  it('prints every problem as FILE:LINE:COL field: message and exits 1', async () => {
    home = makeHome({
      rules: {
        'good.yaml': 'name: good\nwatch: inbox/a\nactions: [{copy: x}]\n',
        'bad.yaml': 'name: bad\nwatch: inbox/b\nactions:\n  - copy: "{nme}"\n    on_conflict: merge\nmax_turns: lots\n',
      },
    });
    const file = path.join(home.paths.rulesDir, 'bad.yaml');
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining([
      `${file}:5:5 actions[0].on_conflict: must be rename, skip or overwrite, not "merge"`,
      `${file}:6:1 max_turns: must be a number, not "lots"`,
      // The bad on_conflict does not hide the bad template of the same step.
      `${file}:4:5 actions[0].copy: unknown placeholder {nme}; known: {name} {ext} {rule} {sha8} {date} {modified:FORMAT} {created:FORMAT}`,
      `3 problem(s) in ${home.paths.rulesDir}`,
    ]));
    const json = JSON.parse((await cli(home, ['rules', 'check', '--json'])).stdout) as { valid: boolean; errors: { file: string; line: number; col: number; field: string; message: string }[]; rules: { name: string }[] };
    expect(json.valid).toBe(false);
    expect(json.rules.map((x) => x.name)).toEqual(['good']);
    expect(json.errors[0]).toEqual({ file, line: 5, col: 5, field: 'actions[0].on_conflict', message: 'must be rename, skip or overwrite, not "merge"' });
  });
});

describe('dropwork rules check: warnings and config.yaml', () => {
  it('a rule asking for more jobs at once than config allows is a warning, and warnings alone exit 0', async () => {
    home = makeHome({
      rules: { 'busy.yaml': 'name: busy\nwatch: inbox/busy\nconcurrency: 4\nactions: [{copy: x}]\n' },
      config: 'concurrency: 2\n',
    });
    const file = path.join(home.paths.rulesDir, 'busy.yaml');
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${file}:3:1 concurrency: warning: asks for 4 jobs at once, but config.yaml's concurrency is 2 for all rules together, so at most 2 run: raise concurrency in config.yaml, or lower it here\n`
      + '1 rule(s), all valid; 1 warning(s)\n');
    const json = JSON.parse((await cli(home, ['rules', 'check', '--json'])).stdout) as { valid: boolean; warnings: { line: number; field: string }[] };
    expect(json.valid).toBe(true);
    expect(json.warnings).toMatchObject([{ file, line: 3, col: 1, field: 'concurrency' }]);
  });

  it('reports config.yaml problems too, located, and exits 1', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: a\nwatch: inbox/a\nactions: [{copy: x}]\n' }, config: 'concurency: 4\n' });
    const r = await cli(home, ['rules', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${home.paths.configFile}:1:1 concurency: unknown key "concurency" (did you mean "concurrency"?)\n1 problem(s) in ${home.paths.rulesDir} and ${home.paths.configFile}\n`);
  });
});

describe('dropwork rules test', () => {
  it('says whether a file would match and what would happen, touching nothing', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: scans\nwatch: inbox/scans\nfiles: ["*.pdf"]\nactions:\n  - move: "{modified:YYYY}"\n  - rename: "scan {name}{ext}"\nafter: trash\n' } });
    fs.mkdirSync(home.inbox('scans'), { recursive: true });
    const pdf = path.join(home.inbox('scans'), 'invoice.pdf');
    const txt = path.join(home.inbox('scans'), 'notes.txt');
    fs.writeFileSync(pdf, 'x');
    fs.writeFileSync(txt, 'x');
    const yes = await cli(home, ['rules', 'test', 'scans', pdf]);
    expect(yes.code).toBe(0);
    const year = new Date().getFullYear();
    expect(yes.stdout).toContain(`would write ${home.output('scans')}/${year}/scan invoice.pdf`);
    expect(yes.stdout).toContain('would move the original to the trash');
    const no = await cli(home, ['rules', 'test', 'scans', txt, '--json']);
    expect(no.code).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ match: false, why: 'its name matches none of files: *.pdf' });
    expect(fs.existsSync(home.output('scans'))).toBe(false);
    expect(fs.readdirSync(home.inbox('scans')).sort()).toEqual(['invoice.pdf', 'notes.txt']);
    const unknown = await cli(home, ['rules', 'test', 'nope', pdf]);
    expect(unknown).toMatchObject({ code: 1, stderr: 'dropwork: no rule named "nope"; rules: scans\n' });
  });
});
