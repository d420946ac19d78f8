/** Revert through the real CLI: real jobs (run by the CLI or the spawned daemon), real folders. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/queue/status.js';
import { CLI, cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

/** sha256 of every file under the folders, by path: the state revert must bring back exactly. */
function tree(...dirs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
      const p = path.join(dir, rel);
      if (fs.statSync(p).isFile()) out[p] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  }
  return out;
}

async function jobs(): Promise<JobView[]> {
  return JSON.parse((await cli(home, ['jobs', '--limit', '1000', '--json'])).stdout) as JobView[];
}

describe('dropwork jobs revert', () => {
  it('reverts a copy job: dry run lists it and changes nothing, then the copy is gone and the job says reverted', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: docs\nwatch: inbox/docs\nactions: [{copy: archive}, {move: "."}]\n' } });
    fs.mkdirSync(home.inbox('docs'), { recursive: true });
    const file = path.join(home.inbox('docs'), 'report.pdf');
    fs.writeFileSync(file, 'pdf');
    const before = tree(home.inbox('docs'), home.output('docs'));
    expect((await cli(home, ['run', file, '--wait'])).code).toBe(0);
    expect(fs.existsSync(path.join(home.output('docs'), 'archive', 'report.pdf'))).toBe(true);

    const dry = await cli(home, ['jobs', 'revert', '1', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would revert job 1');
    expect(dry.stdout).toContain(`remove ${path.join(home.output('docs'), 'archive', 'report.pdf')}`);
    expect(dry.stdout).toContain('(dry run: nothing was changed)');
    expect(fs.existsSync(path.join(home.output('docs'), 'archive', 'report.pdf'))).toBe(true);

    const done = await cli(home, ['jobs', 'revert', '1', '--by', 'ana']);
    expect(done.code).toBe(0);
    expect(tree(home.inbox('docs'), home.output('docs'))).toEqual(before);
    const [job] = await jobs();
    expect(job).toMatchObject({ id: 1, status: 'reverted', reverted: { by: 'by ana from the command line' } });
    // The content stays known: dropping it again does not run it.
    expect((await cli(home, ['run', file])).stdout).toContain('already processed this content');
  });

  it('reverts a move with after: trash: the original comes back from the trash', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: sort\nwatch: inbox/sort\nactions: [{move: "{modified:YYYY}"}]\nafter: trash\n' } });
    fs.mkdirSync(home.inbox('sort'), { recursive: true });
    const file = path.join(home.inbox('sort'), 'scan.jpg');
    fs.writeFileSync(file, 'jpeg bytes');
    const before = tree(home.inbox('sort'), home.output('sort'));
    expect((await cli(home, ['run', file, '--wait'])).code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    const trash = path.join(home.env.XDG_DATA_HOME ?? '', 'Trash');
    expect(fs.readdirSync(path.join(trash, 'files'))).toEqual(['scan.jpg']);
    expect((await cli(home, ['jobs', 'revert', '1'])).code).toBe(0);
    expect(tree(home.inbox('sort'), home.output('sort'))).toEqual(before);
    expect(fs.readdirSync(path.join(trash, 'files'))).toEqual([]);
    expect(fs.readdirSync(path.join(trash, 'info'))).toEqual([]);
  });

  it('puts back the exact bytes an on_conflict: overwrite replaced', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: o\nwatch: inbox/o\noutput: outputs/o\non_conflict: overwrite\nactions: [{copy: "."}]\n' } });
    fs.mkdirSync(home.inbox('o'), { recursive: true });
    fs.mkdirSync(home.output('o'), { recursive: true });
    const old = Buffer.from([1, 2, 3, 0, 255]);
    fs.writeFileSync(path.join(home.output('o'), 'data.bin'), old);
    const file = path.join(home.inbox('o'), 'data.bin');
    fs.writeFileSync(file, 'new content');
    expect((await cli(home, ['run', file, '--wait'])).code).toBe(0);
    expect(fs.readFileSync(path.join(home.output('o'), 'data.bin'), 'utf8')).toBe('new content');
    expect((await cli(home, ['jobs', 'revert', '1'])).code).toBe(0);
    expect(fs.readFileSync(path.join(home.output('o'), 'data.bin')).equals(old)).toBe(true);
  });

  it('refuses, touching nothing, when the person edited an output since', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: docs\nwatch: inbox/docs\nactions: [{copy: a}, {copy: b}]\n' } });
    fs.mkdirSync(home.inbox('docs'), { recursive: true });
    const file = path.join(home.inbox('docs'), 'n.txt');
    fs.writeFileSync(file, 'note');
    expect((await cli(home, ['run', file, '--wait'])).code).toBe(0);
    const edited = path.join(home.output('docs'), 'b', 'n.txt');
    fs.writeFileSync(edited, 'my edit');
    const before = tree(home.output('docs'));
    const r = await cli(home, ['jobs', 'revert', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(edited);
    expect(r.stderr).toContain('nothing was changed');
    expect(tree(home.output('docs'))).toEqual(before);
    expect((await jobs())[0]?.status).toBe('succeeded');
  });
});

describe('dropwork rules revert', () => {
  const RULE = 'name: bulk\nwatch: inbox/bulk\nactions: [{copy: archive}, {rename: "{name}-sorted{ext}"}]\nafter:\n  move: done\n';

  async function twoHundredJobs(): Promise<Record<string, string>> {
    home = makeHome({ rules: { 'a.yaml': RULE } });
    fs.mkdirSync(home.inbox('bulk'), { recursive: true });
    const files = Array.from({ length: 200 }, (_, i) => path.join(home.inbox('bulk'), `file-${i}.txt`));
    for (const [i, f] of files.entries()) fs.writeFileSync(f, `content ${i}\n`.repeat(i + 1));
    const before = tree(home.inbox('bulk'), home.output('bulk'), path.join(home.root, 'home', 'done'));
    const daemon = await spawnDaemon(home);
    try {
      await waitFor(() => fs.existsSync(path.join(home.root, 'home', 'done')) && fs.readdirSync(path.join(home.root, 'home', 'done')).length === 200, 60_000, '200 jobs');
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
    expect((await jobs()).filter((j) => j.status === 'succeeded')).toHaveLength(200);
    return before;
  }

  it("reverts a rule's last hour of 200 jobs: every file as it was", async () => {
    const before = await twoHundredJobs();
    const dry = await cli(home, ['rules', 'revert', 'bulk', '--since', '1h', '--dry-run', '--json']);
    expect((JSON.parse(dry.stdout) as { jobs: number[] }).jobs).toHaveLength(200);
    const r = await cli(home, ['rules', 'revert', 'bulk', '--since', '1h']);
    expect(r.code).toBe(0);
    expect(tree(home.inbox('bulk'), home.output('bulk'), path.join(home.root, 'home', 'done'))).toEqual(before);
    expect((await jobs()).every((j) => j.status === 'reverted')).toBe(true);
  }, 180_000);

  it('kill -9 at random points of the revert, then run it again: every file as it was', async () => {
    const before = await twoHundredJobs();
    let kills = 0;
    for (let round = 0; round < 30; round++) {
      const child = spawn(process.execPath, [CLI, 'rules', 'revert', 'bulk', '--since', '1h'], { env: home.env, stdio: 'ignore' });
      const delay = 150 + Math.floor(Math.random() * 600);
      const killer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exitOf(child);
      clearTimeout(killer);
      if (code === 0) break;
      kills++;
    }
    expect(kills).toBeGreaterThan(0);
    expect((await cli(home, ['rules', 'revert', 'bulk', '--since', '1h'])).code).toBe(0);
    expect(tree(home.inbox('bulk'), home.output('bulk'), path.join(home.root, 'home', 'done'))).toEqual(before);
    expect((await jobs()).every((j) => j.status === 'reverted')).toBe(true);
  }, 240_000);
});

/** Runs the CLI on a pseudo-terminal (script(1)) and answers its question; what the terminal showed. */
function atTerminal(args: string[], answer: string): Promise<string> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: home.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let shown = '';
  let answered = false;
  child.stdout.on('data', (d: Buffer) => {
    shown += d.toString();
    if (!answered && shown.includes('[y/N]')) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  // Without readline's cursor moves, as a person reads it.
  return new Promise((resolve) => child.on('exit', () => { child.stdin.end(); resolve(shown.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r', '')); }));
}

describe('dropwork rules revert: the window (issue 19)', () => {
  async function threeJobs(): Promise<void> {
    home = makeHome({ rules: { 'a.yaml': 'name: docs\nwatch: inbox/docs\nactions: [{copy: "."}]\n' } });
    fs.mkdirSync(home.inbox('docs'), { recursive: true });
    for (const n of ['a', 'b', 'c']) {
      const file = path.join(home.inbox('docs'), `${n}.pdf`);
      fs.writeFileSync(file, n);
      expect((await cli(home, ['run', file, '--wait'])).code).toBe(0);
    }
  }

  it('refuses a bare number instead of reading it as a year, and a rule that does not exist, changing nothing', async () => {
    await threeJobs();
    for (const since of ['5', '1']) {
      const r = await cli(home, ['rules', 'revert', 'docs', '--since', since]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`"${since}" what? try ${since}m, ${since}h or ${since}d`);
      expect(r.stdout).toBe('');
    }
    expect((await jobs()).map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // A rule that does not exist is refused, with the closest name, not "no finished jobs".
    const none = await cli(home, ['rules', 'revert', 'nosuch', '--since', '1h']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no rule named "nosuch"; rules: docs');
    const typo = await cli(home, ['rules', 'revert', 'doc', '--since', '1h']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('no rule named "doc" (did you mean "docs"?)');
    // A rule removed since keeps its jobs, which can still be reverted.
    fs.rmSync(path.join(home.paths.rulesDir, 'a.yaml'));
    const gone = await cli(home, ['rules', 'revert', 'docs', '--since', '1h', '--dry-run']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain('would revert job 3');
  }, 240_000);

  it('takes 1h30m, last week and monday, and says the exact window and its jobs before reverting', async () => {
    await threeJobs();
    const dry = await cli(home, ['rules', 'revert', 'docs', '--since', '1h30m', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const [head, ...rest] = dry.stdout.split('\n');
    expect(head).toMatch(/^docs: jobs finished from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(local time, UTC[+-]\d\d:\d\d\): 3 \(3, 2, 1\)$/);
    expect(rest.join('\n')).toContain('would revert job 3');
    const json = JSON.parse((await cli(home, ['rules', 'revert', 'docs', '--since', 'last week', '--dry-run', '--json'])).stdout) as { jobs: number[]; window: { since: string; until: string; text: string } };
    expect(json.jobs).toEqual([3, 2, 1]);
    expect(Date.parse(json.window.until) - Date.parse(json.window.since)).toBe(7 * 86400e3);
    expect(json.window.text).toContain('(local time, UTC');
    expect((await jobs()).every((j) => j.status === 'succeeded')).toBe(true);

    // At a terminal (a real pty, through script(1)) the plan comes first, then the question.
    const no = await atTerminal(['rules', 'revert', 'docs', '--since', 'monday'], 'n');
    expect(no).toMatch(/docs: jobs finished from \d{4}-\d\d-\d\d 00:00:00 to .*: 3 \(3, 2, 1\)\nwould revert job 3[^]*revert these 3 jobs\? \[y\/N\] n\nnothing was reverted/);
    expect((await jobs()).every((j) => j.status === 'succeeded')).toBe(true);
    const yes = await atTerminal(['rules', 'revert', 'docs', '--since', 'monday'], 'y');
    expect(yes).toMatch(/revert these 3 jobs\? \[y\/N\] y\r?\nreverted job 3/);
    expect((await jobs()).every((j) => j.status === 'reverted')).toBe(true);
  }, 240_000);

});
