import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon.js';
import { makeHome, waitFor, type TestHome } from './support/home.js';

let home: TestHome;
let daemon: Daemon | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  home.cleanup();
});

const SORT = 'name: sort\nwatch: inbox/sort\nrecursive: true\noutput: outputs/sort\nactions:\n  - copy: "."\n';

async function startDaemon(rules: Record<string, string>, config?: string): Promise<Daemon> {
  home = makeHome({ rules, config });
  for (const name of ['sort', 'pdf']) fs.mkdirSync(home.inbox(name), { recursive: true });
  daemon = new Daemon({ paths: home.paths, configOverrides: { settle_ms: 150, retry_base_ms: 50, retry_max_ms: 100 } });
  process.env.HOME = home.env.HOME;
  process.env.XDG_DATA_HOME = home.env.XDG_DATA_HOME;
  await daemon.start();
  return daemon;
}

const jobs = () => daemon!.store.list({ limit: 100_000 });
const finished = () => jobs().filter((j) => !['queued', 'running'].includes(j.status));

describe('the daemon, end to end with real folders and chokidar', () => {
  it('processes names with spaces, unicode, quotes and leading dashes, and empty files', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    const names = ['two words.txt', 'ünïcödé 日本.txt', `it's "quoted".txt`, '-rf --leading.txt', 'empty.txt'];
    names.forEach((n, i) => fs.writeFileSync(path.join(home.inbox('sort'), n), n === 'empty.txt' ? '' : `content ${i}`));
    await waitFor(() => finished().length === names.length);
    expect(jobs().map((j) => j.status)).toEqual(names.map(() => 'succeeded'));
    expect(fs.readdirSync(home.output('sort')).sort()).toEqual([...names].sort());
    expect(fs.readFileSync(path.join(home.output('sort'), 'empty.txt'), 'utf8')).toBe('');
    expect(fs.readdirSync(home.inbox('sort')).sort()).toEqual([...names].sort());
  });

  it('takes a file still being written once, complete', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    const file = path.join(home.inbox('sort'), 'slow scan.pdf');
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 8; i++) {
      fs.writeSync(fd, Buffer.alloc(4096, i));
      await new Promise((r) => setTimeout(r, 60));
    }
    fs.closeSync(fd);
    await waitFor(() => finished().length === 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(jobs()).toHaveLength(1);
    expect(fs.statSync(path.join(home.output('sort'), 'slow scan.pdf')).size).toBe(8 * 4096);
  });

  it('runs the same content once, says so for each copy, and runs new content under the same name again', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    const file = path.join(home.inbox('sort'), 'a.txt');
    fs.writeFileSync(file, 'first');
    await waitFor(() => finished().length === 1);
    fs.copyFileSync(file, path.join(home.inbox('sort'), 'a copy.txt'));
    fs.rmSync(file);
    fs.writeFileSync(file, 'first');
    await waitFor(() => finished().length === 3);
    await new Promise((r) => setTimeout(r, 600));
    expect(jobs().filter((j) => j.status === 'succeeded')).toHaveLength(1);
    const reasons = jobs().filter((j) => j.status === 'skipped').map((j) => j.reason);
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) expect(reason).toMatch(/^same content as job 1( \(a\.txt\))?, done \d{4}-\d\d-\d\d \d\d:\d\d; `dropwork run .* --force --rule sort` to run it again$/);
    fs.writeFileSync(file, 'second');
    await waitFor(() => finished().length === 4);
    expect(fs.readFileSync(path.join(home.output('sort'), 'a (1).txt'), 'utf8')).toBe('second');
  });

  it('ignores hidden, temporary and partial files, and the outputs folder inside an inbox', async () => {
    await startDaemon({ 'sort.yaml': 'name: sort\nwatch: inbox/sort\nrecursive: true\noutput: inbox/sort/done\nactions: [{copy: "."}]\n' });
    for (const n of ['.hidden', '.DS_Store', '._x.pdf', '~$doc.docx', 'a.part', 'b.crdownload', 'c.tmp', '.~lock.x#', 'd.swp']) {
      fs.writeFileSync(path.join(home.inbox('sort'), n), 'x');
    }
    fs.writeFileSync(path.join(home.inbox('sort'), 'real.pdf'), 'x');
    await waitFor(() => finished().length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(jobs().map((j) => path.basename(j.file ?? ''))).toEqual(['real.pdf']);
    expect(fs.readdirSync(path.join(home.inbox('sort'), 'done'))).toEqual(['real.pdf']);
  });

  it('records a link as skipped without following it, and a folder named like a file as a folder', async () => {
    await startDaemon({ 'pdf.yaml': 'name: pdf\nwatch: inbox/pdf\nactions: [{copy: "."}]\n' });
    const secret = path.join(home.root, 'secret.txt');
    fs.writeFileSync(secret, 'outside');
    fs.symlinkSync(secret, path.join(home.inbox('pdf'), 'link.pdf'));
    fs.mkdirSync(path.join(home.inbox('pdf'), 'report.pdf'));
    fs.writeFileSync(path.join(home.inbox('pdf'), 'report.pdf', 'inner.pdf'), 'not recursive');
    await waitFor(() => finished().length === 2);
    await new Promise((r) => setTimeout(r, 500));
    const byName = Object.fromEntries(jobs().map((j) => [path.basename(j.file ?? ''), j]));
    expect(jobs()).toHaveLength(2);
    expect(byName['link.pdf']).toMatchObject({ status: 'skipped', reason: `it is a link to ${secret}; dropwork does not follow links` });
    expect(byName['report.pdf']).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^it is a folder, and this rule takes only files lying in the inbox itself \(recursive: false\)/) });
    expect(fs.existsSync(path.join(home.output('pdf'), 'link.pdf'))).toBe(false);
  });

  it('says why a file is not for a rule', async () => {
    await startDaemon({ 'pdf.yaml': 'name: pdf\nwatch: inbox/pdf\nfiles: "*.pdf"\nactions: [{copy: "."}]\n' });
    fs.writeFileSync(path.join(home.inbox('pdf'), 'notes.txt'), 'x');
    fs.writeFileSync(path.join(home.inbox('pdf'), 'SCAN.PDF'), 'y');
    await waitFor(() => finished().length === 2);
    const byName = Object.fromEntries(jobs().map((j) => [path.basename(j.file ?? ''), j]));
    expect(byName['notes.txt']).toMatchObject({ status: 'skipped', reason: 'not for this rule: its name matches none of files: *.pdf' });
    expect(byName['SCAN.PDF']?.status).toBe('succeeded');
  });

  it('processes files of a folder moved into a recursive inbox', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    const outside = path.join(home.root, 'holiday');
    fs.mkdirSync(path.join(outside, 'day 1'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'a.jpg'), 'a');
    fs.writeFileSync(path.join(outside, 'day 1', 'b.jpg'), 'b');
    fs.renameSync(outside, path.join(home.inbox('sort'), 'holiday'));
    await waitFor(() => finished().length === 2);
    expect(jobs().every((j) => j.status === 'succeeded')).toBe(true);
  });

  it('skips a job whose file was removed before it ran, with no error storm', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    daemon!.pause('sort', true);
    const file = path.join(home.inbox('sort'), 'brief.txt');
    fs.writeFileSync(file, 'here a moment');
    await waitFor(() => jobs().length === 1);
    fs.rmSync(file);
    daemon!.pause('sort', false);
    await waitFor(() => finished().length === 1);
    expect(jobs()[0]).toMatchObject({ status: 'skipped', reason: 'the file was removed before its job ran', attempts: 1 });
  });

  it('handles a 1 GB sparse file by streaming it', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    const file = path.join(home.root, 'big.bin');
    execFileSync('truncate', ['-s', '1G', file]);
    fs.renameSync(file, path.join(home.inbox('sort'), 'big.bin'));
    await waitFor(() => finished().length === 1, 60_000);
    expect(jobs()[0]?.status).toBe('succeeded');
    expect(jobs()[0]?.sha256).toBe('49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14');
    expect(fs.statSync(path.join(home.output('sort'), 'big.bin')).size).toBe(1024 ** 3);
  }, 90_000);

  it('picks up a rule file edited while running, and keeps going through a broken one', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    home.writeRule('pdf.yaml', 'name: pdf\nwatch: inbox/pdf\nactions: [{cpy: "."}]\n');
    await new Promise((r) => setTimeout(r, 600));
    expect(daemon!.ruleSet.errors[0]?.message).toMatch(/pdf\.yaml:3:\d+ actions\[0\]\.cpy: unknown key "cpy"/);
    fs.writeFileSync(path.join(home.inbox('sort'), 'still works.txt'), 'x');
    await waitFor(() => finished().length === 1);
    home.writeRule('pdf.yaml', 'name: pdf\nwatch: inbox/pdf\nactions: [{copy: "."}]\n');
    await waitFor(() => daemon!.rules.length === 2, 5000, 'the fixed rule');
    fs.writeFileSync(path.join(home.inbox('pdf'), 'new.pdf'), 'y');
    await waitFor(() => finished().length === 2);
    expect(jobs().map((j) => j.rule).sort()).toEqual(['pdf', 'sort']);
  });

  it('moves the original to the trash or a folder only after its job succeeded', async () => {
    await startDaemon({
      'a.yaml': 'name: sort\nwatch: inbox/sort\nactions: [{move: "{modified:YYYY}"}]\nafter: trash\n',
      'b.yaml': 'name: pdf\nwatch: inbox/pdf\nactions: [{rename: "{rule}-{sha8}{ext}"}]\nafter: {move: done}\n',
    });
    fs.writeFileSync(path.join(home.inbox('sort'), 'photo.jpg'), 'p');
    fs.writeFileSync(path.join(home.inbox('pdf'), 'doc.pdf'), 'd');
    await waitFor(() => finished().length === 2);
    const year = String(new Date().getFullYear());
    expect(fs.readdirSync(path.join(home.output('sort'), year))).toEqual(['photo.jpg']);
    expect(fs.existsSync(path.join(home.env.XDG_DATA_HOME!, 'Trash', 'files', 'photo.jpg'))).toBe(true);
    expect(fs.readFileSync(path.join(home.env.XDG_DATA_HOME!, 'Trash', 'info', 'photo.jpg.trashinfo'), 'utf8')).toMatch(/^\[Trash Info\]\nPath=.*photo\.jpg/);
    expect(fs.readdirSync(home.output('pdf'))[0]).toMatch(/^pdf-[0-9a-f]{8}\.pdf$/);
    expect(fs.readdirSync(path.join(home.paths.home, 'done'))).toEqual(['doc.pdf']);
    expect(fs.readdirSync(home.inbox('sort'))).toEqual([]);
  });

  it('falls back to polling when the OS refuses more watches, and says so', async () => {
    await startDaemon({ 'sort.yaml': SORT });
    // The real OS limit is machine-wide and cannot be lowered safely while other tests watch
    // folders, so the refusal chokidar reports is delivered to the watcher as the OS would.
    const watched = (daemon!.inboxes as unknown as { watched: Map<string, { watcher: { watcher: { emit(e: string, err: Error): void } } }> }).watched;
    const entry = [...watched.values()][0]!;
    entry.watcher.watcher.emit('error', Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' }));
    await waitFor(() => /watch limit was reached \(ENOSPC\); polling instead/.test(daemon!.inboxes.list()[0]?.reason ?? ''));
    expect(daemon!.inboxes.list()[0]?.mode).toBe('polling');
    fs.writeFileSync(path.join(home.inbox('sort'), 'polled.txt'), 'x');
    await waitFor(() => finished().length === 1, 15_000);
  });
});
