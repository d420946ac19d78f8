import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon.js';
import type { JobRow } from '../../src/queue/status.js';
import { makeHome, waitFor, type TestHome } from '../support/home.js';

/**
 * Every drop leaves exactly one trace: a job, or a skipped row that says why. Seeing the same
 * file again (rescans, the quiet sweep, a restart) adds nothing; a new drop does.
 */

let home: TestHome;
let daemon: Daemon | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  home.cleanup();
});

async function start(rules: Record<string, string>): Promise<Daemon> {
  home ??= makeHome();
  for (const [file, yaml] of Object.entries(rules)) home.writeRule(file, yaml);
  fs.mkdirSync(home.inbox('in'), { recursive: true });
  daemon = new Daemon({ paths: home.paths, configOverrides: { settle_ms: 150, retry_base_ms: 50, retry_max_ms: 100, max_attempts: 1 } });
  process.env.HOME = home.env.HOME;
  process.env.XDG_DATA_HOME = home.env.XDG_DATA_HOME;
  await daemon.start();
  return daemon;
}

async function restart(): Promise<void> {
  await daemon?.stop();
  daemon = undefined;
  await start({});
}

const jobs = (): JobRow[] => daemon!.store.list({ limit: 100_000 }).reverse();
const finished = (): JobRow[] => jobs().filter((j) => !['queued', 'running'].includes(j.status));
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 700));
const inbox = (name: string): string => path.join(home.inbox('in'), name);

/** Rescans, then quiet: whatever is recorded now must stay as it is. */
async function rescanAndExpectNoNewRows(): Promise<void> {
  const before = jobs().length;
  for (let i = 0; i < 3; i++) {
    daemon!.inboxes.rescan();
    await settle();
    await daemon!.intake.idle();
  }
  expect(jobs()).toHaveLength(before);
}

const COPY = 'name: sort\nwatch: inbox/in\noutput: outputs/sort\nactions: [{copy: "."}]\n';

describe('drops that used to leave no trace', () => {
  it('the same content again, and a renamed copy: one skipped row each, naming the job; rescans and restarts add none', async () => {
    home = makeHome();
    await start({ 'sort.yaml': COPY });
    fs.writeFileSync(inbox('a.txt'), 'same');
    await waitFor(() => finished().length === 1);
    fs.copyFileSync(inbox('a.txt'), inbox('b.txt'));
    await waitFor(() => finished().length === 2);
    fs.renameSync(inbox('b.txt'), inbox('c.txt'));
    await waitFor(() => finished().length === 3);
    expect(jobs().map((j) => [path.basename(j.file ?? ''), j.status])).toEqual([['a.txt', 'succeeded'], ['b.txt', 'skipped'], ['c.txt', 'skipped']]);
    expect(jobs()[1]?.reason).toMatch(/^same content as job 1 \(a\.txt\), done \d{4}-\d\d-\d\d \d\d:\d\d; `dropwork run \S+b\.txt --force --rule sort` to run it again$/);
    await rescanAndExpectNoNewRows();
    await restart();
    await settle();
    await rescanAndExpectNoNewRows();
    expect(jobs()).toHaveLength(3);
  });

  it('a file the rule skipped, after the rule is fixed: taken, whether it sat there or is dropped again', async () => {
    home = makeHome();
    await start({ 'sort.yaml': 'name: sort\nwatch: inbox/in\nfiles: "*.pdf"\noutput: outputs/sort\nactions: [{copy: "."}]\n' });
    fs.writeFileSync(inbox('notes.txt'), 'notes');
    await waitFor(() => finished().length === 1);
    expect(jobs()[0]).toMatchObject({ status: 'skipped', reason: 'not for this rule: its name matches none of files: *.pdf' });
    await rescanAndExpectNoNewRows();
    // An edit that changes nothing for this file records nothing new.
    home.writeRule('sort.yaml', 'name: sort\nwatch: inbox/in\nfiles: "*.pdf"\noutput: outputs/sort\nactions: [{copy: "."}]\nnotify: never\n');
    await settle();
    home.writeRule('sort.yaml', 'name: sort\nwatch: inbox/in\nfiles: ["*.pdf", "*.txt"]\noutput: outputs/sort\nactions: [{copy: "."}]\n');
    await waitFor(() => finished().length === 2, 10_000, 'the fixed rule to take the file');
    expect(jobs()[1]).toMatchObject({ status: 'succeeded', file: inbox('notes.txt') });
    // The same content dropped again under the fixed rule is a duplicate of that job.
    fs.copyFileSync(inbox('notes.txt'), inbox('notes again.txt'));
    await waitFor(() => finished().length === 3);
    expect(jobs()[2]?.reason).toMatch(/^same content as job 2 /);
  });

  it('a file the rule failed: a re-drop after the fix runs, and so does one without it (failed content is not held)', async () => {
    home = makeHome();
    fs.mkdirSync(home.output('sort'), { recursive: true });
    fs.writeFileSync(path.join(home.output('sort'), 'sub'), 'a file in the way of the folder');
    await start({ 'sort.yaml': 'name: sort\nwatch: inbox/in\noutput: outputs/sort\nactions: [{copy: "sub"}]\n' });
    fs.writeFileSync(inbox('x.txt'), 'x');
    await waitFor(() => finished().length === 1);
    expect(jobs()[0]?.status).toBe('failed');
    await rescanAndExpectNoNewRows();
    fs.copyFileSync(inbox('x.txt'), inbox('x2.txt'));
    await waitFor(() => finished().length === 2);
    expect(jobs()[1]).toMatchObject({ status: 'failed', file: inbox('x2.txt') });
    home.writeRule('sort.yaml', 'name: sort\nwatch: inbox/in\noutput: outputs/sort\nactions: [{copy: "fixed"}]\n');
    // Both files sat there through the fix: each is looked at again, once; the first runs, the
    // second is the same content.
    await waitFor(() => finished().length === 4, 30_000, 'the fixed rule');
    expect(jobs().slice(2).map((j) => j.status).sort()).toEqual(['skipped', 'succeeded']);
    expect(fs.readdirSync(path.join(home.output('sort'), 'fixed'))).toHaveLength(1);
    await rescanAndExpectNoNewRows();
  });

  it('a succeeded file dropped again after the rule changed runs again', async () => {
    home = makeHome();
    await start({ 'sort.yaml': COPY });
    fs.writeFileSync(inbox('a.txt'), 'content');
    await waitFor(() => finished().length === 1);
    home.writeRule('sort.yaml', COPY.replace('copy: "."', 'copy: "v2"'));
    await settle();
    // The file that sat through the change is done: not run again by an edit.
    expect(jobs()).toHaveLength(1);
    fs.copyFileSync(inbox('a.txt'), inbox('a again.txt'));
    await waitFor(() => finished().length === 2);
    expect(jobs()[1]).toMatchObject({ status: 'succeeded', file: inbox('a again.txt') });
    expect(fs.readdirSync(path.join(home.output('sort'), 'v2'))).toEqual(['a again.txt']);
  });

  it('a folder dropped into an inbox that does not look inside folders: one row saying so', async () => {
    home = makeHome();
    await start({ 'sort.yaml': COPY });
    fs.mkdirSync(inbox('holiday'));
    fs.writeFileSync(path.join(inbox('holiday'), 'a.jpg'), 'a');
    await waitFor(() => finished().length === 1);
    expect(jobs()[0]).toMatchObject({ status: 'skipped', file: inbox('holiday') });
    expect(jobs()[0]?.reason).toMatch(/^it is a folder, and this rule takes only files lying in the inbox itself \(recursive: false\)/);
    fs.writeFileSync(path.join(inbox('holiday'), 'b.jpg'), 'b');
    await rescanAndExpectNoNewRows();
  });

  it('a duplicate gets the after: of its first job, only once that job succeeded', async () => {
    home = makeHome();
    await start({ 'sort.yaml': 'name: sort\nwatch: inbox/in\noutput: outputs/sort\nactions: [{copy: "."}]\nafter: trash\n' });
    daemon!.pause('sort', true);
    fs.writeFileSync(inbox('receipt.pdf'), 'r');
    fs.writeFileSync(inbox('receipt copy.pdf'), 'r');
    await waitFor(() => jobs().length === 2);
    const [first, dup] = jobs();
    expect(dup).toMatchObject({ status: 'skipped' });
    expect(dup?.reason).toMatch(new RegExp(`^same content as job ${first!.id} .*queued;`));
    // Still queued: the copy stays until the job succeeds.
    expect(fs.readdirSync(home.inbox('in')).sort()).toEqual(['receipt copy.pdf', 'receipt.pdf']);
    daemon!.pause('sort', false);
    await waitFor(() => fs.readdirSync(home.inbox('in')).length === 0, 10_000, 'both originals trashed');
    expect(daemon!.store.get(dup!.id)?.reason).toMatch(/moved the original to the trash .*, as job \d+ did$/);
    // A copy dropped after the job succeeded is trashed at once.
    fs.writeFileSync(inbox('receipt 3.pdf'), 'r');
    await waitFor(() => jobs().length === 3 && !fs.existsSync(inbox('receipt 3.pdf')), 10_000, 'the late copy trashed');
    expect(fs.readdirSync(path.join(home.env.XDG_DATA_HOME!, 'Trash', 'files'))).toHaveLength(3);
  });

  it('a duplicate of a failed job keeps its original', async () => {
    home = makeHome();
    fs.mkdirSync(home.output('sort'), { recursive: true });
    fs.writeFileSync(path.join(home.output('sort'), 'sub'), 'in the way');
    await start({ 'sort.yaml': 'name: sort\nwatch: inbox/in\noutput: outputs/sort\nactions: [{copy: "sub"}]\nafter: trash\n' });
    daemon!.pause('sort', true);
    fs.writeFileSync(inbox('a.pdf'), 'a');
    fs.writeFileSync(inbox('b.pdf'), 'a');
    await waitFor(() => jobs().length === 2);
    daemon!.pause('sort', false);
    await waitFor(() => finished().length === 2);
    await settle();
    expect(fs.readdirSync(home.inbox('in')).sort()).toEqual(['a.pdf', 'b.pdf']);
  });
});
