import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, exitOf, makeHome, spawnDaemon, type TestHome } from '../support/home.js';

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

describe('two rule files with one name (issue 19)', () => {
  const rule = (inbox: string): string => `name: receipts\nwatch: inbox/${inbox}\nactions: [{copy: "."}]\n`;
  interface Status { running: boolean; rule_errors: string[]; inboxes: { path: string }[] }
  const status = async (): Promise<Status> => JSON.parse((await cli(home, ['status', '--json'])).stdout) as Status;

  it('the same rule runs in a running daemon, after a restart and in rules check; status and doctor say so', async () => {
    home = makeHome({ rules: { 'm-receipts.yaml': rule('m') } });
    const loser = path.join(home.paths.rulesDir, 'm-receipts.yaml');
    const said = `${loser}:1:1 name: "receipts" is also the name of the rule at ${path.join(home.paths.rulesDir, 'a-copy.yaml')}:1, which runs instead of this one (of rules with one name, the one in the file that sorts first runs): give one of them another name`;
    let daemon = await spawnDaemon(home);
    try {
      // A copy that sorts first appears while m-receipts.yaml runs.
      home.writeRule('a-copy.yaml', rule('a'));
      let now: Status | undefined;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        now = await status();
        // The error is said at once; the watcher moves to the winner's inbox a moment later.
        if (now.rule_errors.includes(said) && now.inboxes.some((i) => i.path === home.inbox('a'))) break;
      }
      expect(now?.rule_errors).toEqual([said]);
      expect(now?.inboxes.map((i) => i.path)).toEqual([home.inbox('a')]);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
    // Stopped, status reads the folder and says it; so do rules check and doctor.
    const stopped = await cli(home, ['status']);
    expect(stopped.stdout).toContain(`rules: 1 problem(s) in ${home.paths.rulesDir} (dropwork rules check):\n  ${said}\n`);
    const check = await cli(home, ['rules', 'check', '--json']);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ rules: [{ name: 'receipts', file: path.join(home.paths.rulesDir, 'a-copy.yaml') }], errors: [{ file: loser, line: 1, field: 'name' }] });
    const doctor = JSON.parse((await cli(home, ['doctor', '--json'])).stdout) as { checks: { id: string; status: string; summary: string }[] };
    expect(doctor.checks.find((c) => c.id === 'rules')).toMatchObject({ status: 'fail', summary: `1 problem(s): ${said}` });

    // After a restart, the same rule runs and the same inbox is watched.
    daemon = await spawnDaemon(home);
    try {
      const after = await status();
      expect(after.rule_errors).toEqual([said]);
      expect(after.inboxes.map((i) => i.path)).toEqual([home.inbox('a')]);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  }, 180_000);
});
