/**
 * Every word a person reads is true (issue 19, "What must hold"): a walk through every CLI
 * command's --help, `jobs show` and `status`, and every dashboard page in a real browser, for a
 * job of every kind (watch, schedule, manual, compile, program, waiting, held, reverted), each
 * checked against the job's real state: nothing "finished" or "took" that has not ended, no
 * time without a local mark, no raw ISO time, no `null`/`undefined`, no raw field names.
 *
 * The daemon and the browser run in Europe/Paris, so a UTC time passed off as local shows.
 * Watch, manual, held, waiting and reverted jobs are made the way a person makes them (files
 * dropped, `dropwork run`, `jobs revert`); a schedule's firing and a compile are queued in the
 * store as the scheduler and the compile trigger queue them, and the daemon runs them (the firing
 * waits for the API key, as it would here; the compile, whose examples are not on disk, is skipped). A finished compile and a learned program's job need a
 * model, so those two rows are written as the worker leaves them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, startDaemon, type DaemonHome } from './daemon.js';
import { request, until } from './helpers.js';
import { CLOCK, collectKeys as collectWalkKeys, expectTrueWords as expectWalkWords, ISO_Z, MARK, NOTHING, pageText as walkPageText, UNFINISHED, ZONE } from './walk-words.js';

const RULES = `
- name: notes
  watch: inbox/notes
  output: outputs/notes
  actions:
    - copy: "."
- name: receipts
  watch: inbox/receipts
  output: outputs/receipts
  approve: always
  actions:
    - copy: "."
- name: meeting-notes
  watch: inbox/meetings
  output: outputs/meetings
  do: |
    Summarize the file into summary.md.
- name: night
  schedule: "30 3 * * *"
  output: outputs/night
  do: |
    Write the day's list into night.md.
`;

let daemon: DaemonHome;
let browser: Browser;
let page: Page;
/** Every job made below, by its kind in this walk. */
const made: Record<string, number> = {};
/** Keys of the API's and `--json`'s answers: raw field names no sentence should show. */
const rawKeys = new Set<string>();

const dropwork = (...args: string[]): Promise<string> => daemon.dropwork(...args);

function store<T>(fn: (s: Store) => T): T {
  const s = new Store(path.join(daemon.home, 'dropwork.db'));
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

function job(id: number): JobView {
  return store((s) => {
    const row = s.get(id);
    if (!row) throw new Error(`no job ${id}`);
    return { ...row, awaiting: row.reason === 'awaiting approval' } as unknown as JobView;
  });
}

async function jobOf(what: string, test: (j: { id: number; status: string; file: string | null; rule: string; trigger: string }) => boolean): Promise<number> {
  return until(what, () => store((s) => s.list({ limit: 100 }).find(test)?.id), 30_000);
}

const collectKeys = (value: unknown): void => collectWalkKeys(value, rawKeys);

async function api(pathAndQuery: string): Promise<unknown> {
  const token = new URL(daemon.printed).searchParams.get('token') ?? '';
  const r = await request(daemon.port, 'GET', pathAndQuery, { Authorization: `Bearer ${token}` });
  const body = r.json<unknown>();
  collectKeys(body);
  return body;
}

const expectTrueWords = (text: string, where: string): void => expectWalkWords(text, where, rawKeys);
const pageText = (url: string, ready: string): Promise<string> => walkPageText(page, url, ready);

beforeAll(async () => {
  daemon = await startDaemon({
    prefix: 'dropwork-walk-', rules: RULES, inboxes: ['inbox/notes', 'inbox/receipts', 'inbox/meetings'],
    config: 'settle_ms: 300\nnotify: false\n', env: { TZ: ZONE, ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '' },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: ZONE })).newPage();
  page.on('pageerror', (err) => { daemon.log += `\n[page error] ${err.message}`; });
  await page.goto(daemon.printed);

  const drop = (rel: string, text: string): void => fs.writeFileSync(path.join(daemon.home, rel), text);
  drop('inbox/notes/kept.txt', 'kept\n');
  drop('inbox/notes/undone.txt', 'undone\n');
  drop('inbox/receipts/taxi.txt', 'taxi\n');
  drop('inbox/meetings/monday.txt', 'monday\n');
  made.watch = await jobOf('the watch job', (j) => j.file?.endsWith('kept.txt') === true && j.status === 'succeeded');
  made.reverted = await jobOf('the job to revert', (j) => j.file?.endsWith('undone.txt') === true && j.status === 'succeeded');
  await dropwork('jobs', 'revert', String(made.reverted));
  made.held = await jobOf('the held job', (j) => j.rule === 'receipts' && j.status === 'waiting');
  made.waiting = await jobOf('the job waiting for a key', (j) => j.rule === 'meeting-notes' && j.status === 'waiting');

  const elsewhere = path.join(daemon.root, 'by hand.txt');
  fs.writeFileSync(elsewhere, 'by hand\n');
  await dropwork('run', elsewhere, '--rule', 'notes');
  made.manual = await jobOf('the manual job', (j) => j.trigger === 'manual' && j.file === elsewhere && j.status === 'succeeded');
  await dropwork('run', '--rule', 'night');
  made.manualNoFile = await jobOf('the manual run of a scheduled rule', (j) => j.trigger === 'manual' && j.rule === 'night' && j.status === 'waiting');

  store((s) => {
    s.enqueue({ rule: 'night', file: null, sha256: null, trigger: 'schedule', dedupe: false, payload: { fired_at: new Date().toISOString() } });
    s.enqueue({ rule: 'meeting-notes', file: null, sha256: null, trigger: 'compile', dedupe: false });
  });
  made.schedule = await jobOf('the scheduled job', (j) => j.trigger === 'schedule' && j.status === 'waiting');
  // Without examples on disk it ends at once, skipped with its reason: whatever it ended as, its words are checked.
  made.compileRan = await jobOf('the compile job', (j) => j.trigger === 'compile' && !['queued', 'running'].includes(j.status));

  store((s) => {
    const compiled = s.enqueue({ rule: 'meeting-notes', file: null, sha256: null, trigger: 'compile', dedupe: false, status: 'skipped' });
    const program = s.enqueue({ rule: 'meeting-notes', file: path.join(daemon.home, 'inbox/meetings/tuesday.txt'), sha256: 'b'.repeat(64), trigger: 'watch', dedupe: false, status: 'skipped' });
    if (!compiled || !program) throw new Error('not queued');
    const ended = "status = 'succeeded', reason = NULL, attempts = 1, started_at = created_at, finished_at = created_at + 1500";
    s.db.prepare(`UPDATE jobs SET ${ended}, outputs = '[]' WHERE id = ?`).run(compiled.id);
    s.db.prepare(`UPDATE jobs SET ${ended}, runner = 'program', program_version = 1, outputs = ? WHERE id = ?`).run(JSON.stringify([path.join(daemon.home, 'outputs/meetings/summary.md')]), program.id);
    made.compiled = compiled.id;
    made.program = program.id;
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

describe('the walk', () => {
  it('every dashboard page, for a job of every kind, says what is true of it', async () => {
    const list = await api('/api/jobs?limit=100') as { jobs: (JobView & { awaiting_approval: boolean })[] };
    await api('/api/rules');
    await api('/api/spending');
    await api('/api/status');
    const jobs = new Map(list.jobs.map((j) => [j.id, j]));

    const listText = await pageText(`${daemon.base}/`, 'tr.job-row');
    expectTrueWords(listText, 'the jobs page');
    expect(listText).toMatch(MARK);
    expect(listText).not.toMatch(/Scheduled run of meeting-notes/);
    expect(listText).toContain('Compile of meeting-notes');

    for (const [kind, id] of Object.entries(made)) {
      const j = jobs.get(id);
      if (!j) throw new Error(`job ${id} (${kind}) is not listed`);
      const d = await api(`/api/jobs/${id}`) as { changed_files: boolean };
      const text = await pageText(`${daemon.base}/jobs/${id}`, '.facts dt');
      await page.screenshot({ path: path.join(ARTIFACTS, `walk-${kind}.png`), fullPage: true });
      const where = `job ${id} (${kind}, ${j.status}${j.awaiting_approval ? ', held' : ''})`;
      expectTrueWords(text, where);
      if (CLOCK.test(text)) expect(text, where).toMatch(MARK);
      if (UNFINISHED.includes(j.status)) {
        expect(text, where).not.toMatch(/\bfinished\b/i);
        expect(text, where).not.toMatch(/\bTook\b/);
      }
      if (j.status === 'waiting' && !j.awaiting_approval) expect(text, `${where}: never ran`).toMatch(/Attempts\s+not run yet/);
      if (!j.file && j.trigger !== 'schedule') expect(text, where).not.toMatch(/scheduled run/i);
      if (j.trigger === 'compile') expect(text, where).toContain('Compile of meeting-notes');
      // A job that published and changed nothing has nothing to revert.
      const revert = await page.getByRole('button', { name: 'Revert…' }).count();
      expect(revert, where).toBe(j.status === 'succeeded' && d.changed_files ? 1 : 0);
      // One machine: no host names.
      expect(text, where).not.toMatch(/Queued and run on|Queued on/);
      if (j.runner === 'program') expect(text, where).not.toContain('No agent turns');
    }
    expect(job(made.compiled as number).status).toBe('succeeded');

    const rules = await pageText(`${daemon.base}/rules`, 'section.rule');
    expectTrueWords(rules, 'the rules page');
    if (CLOCK.test(rules)) expect(rules).toMatch(MARK);
    expect(rules).not.toMatch(/Scheduled run of meeting-notes/);
    expect(rules).toContain("Compile of meeting-notes");
    expectTrueWords(await pageText(`${daemon.base}/spending`, 'svg.chart'), 'the spending page');
    expect(daemon.log).not.toContain('[page error]');
  }, 600_000);

  it('a viewer is told who may approve, not asked for their approval', async () => {
    const out = await dropwork('users', 'add', 'vera', '--role', 'viewer');
    const url = /^ {2}(http:\/\/\S+)$/m.exec(out)?.[1];
    if (!url) throw new Error(`no link in:\n${out}`);
    const viewer = await (await browser.newContext({ timezoneId: ZONE })).newPage();
    await viewer.goto(url);
    await viewer.locator('#who:not([hidden])').waitFor();
    await viewer.locator('.banner.held').waitFor();
    await viewer.waitForLoadState('networkidle');
    const text = await viewer.evaluate('document.body.innerText') as string;
    expect(text).toMatch(/jobs? (is|are) waiting for an approver's decision/);
    expect(text).not.toContain('your approval');
    await viewer.goto(`${daemon.base}/jobs/${made.held}`);
    await viewer.locator('section.approval').waitFor();
    await viewer.locator('#who:not([hidden])').waitFor();
    await viewer.waitForLoadState('networkidle');
    expect(await viewer.evaluate('document.body.innerText')).not.toContain('your approval');
    await viewer.context().close();
  }, 120_000);

  it('jobs show and status say the same truths in the terminal', async () => {
    for (const [kind, id] of Object.entries(made)) {
      const j = JSON.parse(await dropwork('jobs', 'show', String(id), '--json')) as JobView;
      collectKeys(j);
      const text = await dropwork('jobs', 'show', String(id));
      const where = `jobs show ${id} (${kind}, ${j.status})`;
      expect(text, where).not.toMatch(NOTHING);
      expect(text, where).not.toMatch(ISO_Z);
      if (UNFINISHED.includes(j.status)) expect(text, where).not.toMatch(/\bfinished\b/);
      if (!j.file && j.trigger !== 'schedule') expect(text, where).not.toMatch(/scheduled/);
      expect(text, where).not.toMatch(/^sha256: *$/m);
    }
    const status = await dropwork('status');
    collectKeys(JSON.parse(await dropwork('status', '--json')));
    expectTrueWords(status, 'status');
    expect(status).toMatch(MARK);
    const list = await dropwork('jobs');
    expectTrueWords(list, 'jobs');
  }, 600_000);

  it('every command\'s --help', async () => {
    const seen = new Set<string>();
    const walk = async (words: string[]): Promise<void> => {
      const help = await dropwork(...words, '--help');
      const where = `dropwork ${words.join(' ')} --help`;
      expect(help, where).not.toMatch(NOTHING);
      expect(help, where).not.toMatch(ISO_Z);
      const commands = help.split(/\nCommands:\n/)[1] ?? '';
      const names = [...commands.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1] as string).filter((n) => n !== 'help');
      // A level's commands at once: each is its own process, most of its time spent starting node.
      const next = names.map((name) => [...words, name]).filter((w) => !seen.has(w.join(' ')));
      for (const w of next) seen.add(w.join(' '));
      await Promise.all(next.map(walk));
    };
    await walk([]);
    expect(seen.size).toBeGreaterThan(15);
  }, 600_000);
});
