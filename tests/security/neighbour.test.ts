/**
 * Issue 18, classes 1 and 2: another local account (a second Unix user, through setpriv) that
 * can write into a shared inbox or outputs folder swaps things for links at the right moment,
 * and a compile job's model leaves something other than a program at output/program/main.py.
 * Real folders, a real second account, real chokidar, real SQLite; each case is one the host
 * side gave way to before it opened everything without following (src/nofollow-files.ts).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readProgram } from '../../src/program/compile.js';
import { publish } from '../../src/publish/publish.js';
import { Journal } from '../../src/undo/journal.js';
import { blobsFor, revertJobs } from '../../src/undo/revert.js';
import { decide } from '../../src/watch/decide.js';
import { InboxWatcher, type ArrivedFile } from '../../src/watch/watcher.js';
import { Harness, makeHome, writeConfig, writeRule } from '../agent/helpers.js';
import { canHaveNeighbour, contents, neighbour, stage, type Stage } from './neighbour.js';

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const HAVE = canHaveNeighbour();
let st: Stage | undefined;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  st?.cleanup();
  st = undefined;
});

describe('the compile job reads only a regular file it opened, never through a link', () => {
  function output(): string {
    st = stage();
    const out = path.join(st.root, 'workspace', 'output');
    fs.mkdirSync(path.join(out, 'program'), { recursive: true });
    return out;
  }

  it('refuses program/main.py as a link to the install\'s ui-token or credentials', () => {
    const out = output();
    const token = path.join(st!.privateDir, 'ui-token');
    fs.writeFileSync(token, 'ui-token-0123456789\n', { mode: 0o600 });
    fs.symlinkSync(token, path.join(out, 'program', 'main.py'));
    expect(() => readProgram(out)).toThrow(/symbolic link/);
    // A link on the way (program/ itself) is refused the same way.
    fs.rmSync(path.join(out, 'program'), { recursive: true });
    fs.writeFileSync(path.join(st!.privateDir, 'main.py'), 'ANTHROPIC_API_KEY=sk-ant-secret\n');
    fs.symlinkSync(st!.privateDir, path.join(out, 'program'));
    expect(() => readProgram(out)).toThrow(/symbolic link/);
  });

  it('refuses a FIFO at once, without waiting for a writer (the event loop never blocks)', () => {
    const out = output();
    const fifo = path.join(out, 'program', 'main.py');
    execFileSync('mkfifo', [fifo]);
    // A writer that comes along later: code that opened the FIFO for reading would wait for it.
    const writer = execFileSync('sh', ['-c', `(sleep 2; echo "print(1)" > ${fifo}) >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    closers.push(() => { try { process.kill(Number(writer.trim())); } catch { /* gone */ } });
    const started = Date.now();
    expect(() => readProgram(out)).toThrow(/FIFO/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a folder and an oversize file, saying so', () => {
    const out = output();
    fs.mkdirSync(path.join(out, 'program', 'main.py'));
    expect(() => readProgram(out)).toThrow(/folder/);
    fs.rmdirSync(path.join(out, 'program', 'main.py'));
    fs.writeFileSync(path.join(out, 'program', 'main.py'), `# ${'x'.repeat(60_000)}\n`);
    expect(() => readProgram(out)).toThrow(/more than the 48000/);
    fs.writeFileSync(path.join(out, 'program', 'main.py'), 'print("ok")\n');
    expect(readProgram(out)).toBe('print("ok")\n');
  });
});

describe.runIf(HAVE)('another account swapping things in a shared folder for links', () => {
  it('a recursive inbox: a subfolder replaced by a link after the watcher saw it reports nothing behind the link', async () => {
    st = stage();
    const n = neighbour();
    const inbox = st.shared('inbox');
    const arrived: ArrivedFile[] = [];
    const seen = new Set<string>();
    const w = new InboxWatcher({
      folder: inbox, recursive: true, poll: false, pollIntervalMs: 100, settleMs: 1500, exclude: [],
      onFile: (f) => arrived.push(f), onMode: () => undefined, onError: () => undefined,
      onEvent: (event, p) => { if (event === 'add') seen.add(p); },
    });
    closers.push(() => w.close());
    await w.start();
    const dropped = path.join(inbox, 'sub', 'secret.txt');
    n.sh(`mkdir ${inbox}/sub && echo public > ${dropped}`);
    const until = Date.now() + 10_000;
    while (!seen.has(dropped) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(seen.has(dropped)).toBe(true);
    // Within the settle window: the folder goes, a link to the private folder takes its name.
    n.sh(`mv ${inbox}/sub ${inbox}/old && ln -s ${st.privateDir} ${inbox}/sub`);
    w.touch(dropped); // what a rescan or a late event does
    // A file dropped after the swap settles after it: once it is reported, the swapped one had its turn.
    const marker = path.join(inbox, 'marker.txt');
    n.sh(`echo marker > ${marker}`);
    const end = Date.now() + 15_000;
    while (!arrived.some((f) => f.path === marker) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(arrived.map((f) => f.path)).toContain(marker);
    expect(arrived.filter((f) => f.path === dropped)).toEqual([]);
  });

  it('a dropped file swapped for a link between settling and hashing is never hashed or queued', async () => {
    st = stage();
    const n = neighbour();
    const inbox = st.shared('inbox');
    const home = makeHome();
    writeConfig(home, { notify: false, sandbox: 'none' });
    writeRule(home, { name: 'copies', watch: inbox, output: path.join(st.root, 'outs'), actions: [{ copy: '.' }] });
    const h = new Harness(home);
    closers.push(() => h.close());
    const file = path.join(inbox, 'scan.txt');
    n.sh(`echo public > ${file}`);
    const settled = fs.lstatSync(file); // what the watcher saw when it settled
    n.sh(`rm ${file} && ln -s ${st.secret} ${file}`);
    const decisions = await decide(h.store, [...h.rules.rules.values()], { path: file, size: settled.size, mtimeMs: settled.mtimeMs, birthtimeMs: settled.birthtimeMs });
    expect(decisions.map((d) => d.job?.sha256)).not.toContain(sha(st.secretText));
    expect(decisions.every((d) => d.job === undefined || d.job.status === 'skipped')).toBe(true);
    expect(decisions[0]?.job?.reason).toMatch(/symbolic link/);
  });

  it('a ledger in a shared outputs folder replaced by a link while a job ran: the append refuses it', () => {
    st = stage();
    const n = neighbour();
    const outs = st.shared('outs');
    const ledger = path.join(outs, 'ledger.csv');
    fs.writeFileSync(ledger, 'date,total\n');
    fs.chmodSync(ledger, 0o666);
    const staged = path.join(st.root, 'job', 'ledger.csv');
    fs.mkdirSync(path.dirname(staged), { recursive: true });
    fs.writeFileSync(staged, 'date,total\n2026-12-07,12.50\n');
    const base = { size: 11, sha256: sha('date,total\n') };
    n.sh(`rm ${ledger} && ln -s ${st.secret} ${ledger}`);
    const journal = new Journal(blobsFor({ dataDir: path.join(st.root, 'data') }));
    expect(() => publish([{ source: staged, dest: ledger, onConflict: 'overwrite', base }], { journal, outputs: outs })).toThrow(/symbolic link/);
    expect(contents(outs)).not.toContain(st.secretText);
    expect(fs.readFileSync(st.secret, 'utf8')).toBe(st.secretText);
  });

  it('`rules revert` after a folder along the way became a link writes nothing through it (never rules/pwn.yaml)', async () => {
    st = stage();
    const n = neighbour();
    const inbox = st.shared('inbox');
    const home = makeHome();
    writeConfig(home, { notify: false, sandbox: 'none' });
    writeRule(home, { name: 'tidy', watch: inbox, recursive: true, output: path.join(st.root, 'outs'), actions: [{ copy: '.' }], after: { move: path.join(st.root, 'done') } });
    const h = new Harness(home);
    closers.push(() => h.close());
    const file = path.join(inbox, 'sub', 'pwn.yaml');
    n.sh(`mkdir ${inbox}/sub && printf 'name: pwn\\nwatch: /\\nactions: [{copy: /tmp}]\\n' > ${file}`);
    const fst = fs.statSync(file);
    const row = h.store.enqueue({ rule: 'tidy', file, sha256: sha(fs.readFileSync(file)), trigger: 'watch', dedupe: false, payload: { size: fst.size, mtimeMs: fst.mtimeMs } });
    h.worker.wake();
    const done = await h.settled(row!.id);
    expect(done.status, done.reason ?? '').toBe('succeeded');
    expect(fs.existsSync(path.join(st.root, 'done', 'pwn.yaml'))).toBe(true);
    // The neighbour's own folder in the shared inbox becomes a link to dropwork's rules.
    n.sh(`rm -r ${inbox}/sub && ln -s ${home.paths.rulesDir} ${inbox}/sub`);
    const rulesBefore = fs.readdirSync(home.paths.rulesDir).sort();
    let result: ReturnType<typeof revertJobs> | undefined;
    let error: unknown;
    try {
      result = revertJobs(h.store, blobsFor(home.paths), { jobs: [row!.id], cascade: false, dryRun: false, by: 'test' });
    } catch (err) {
      error = err;
    }
    expect(fs.readdirSync(home.paths.rulesDir).sort()).toEqual(rulesBefore);
    expect(fs.existsSync(path.join(home.paths.rulesDir, 'pwn.yaml'))).toBe(false);
    // Refused, saying why: a link of another account on the way.
    const why = result && !result.ok ? result.why : String(error);
    expect(why).toMatch(/symbolic link of another account|not followed/);
  });
});
