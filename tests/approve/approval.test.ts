import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { approveJob, denyJob, DecisionError } from '../../src/approve/decide.js';
import { heldPayload, needsApproval } from '../../src/run/approval.js';
import { jobDir } from '../../src/run/execute.js';
import { homePerTest, PLAIN_RULE, trashed } from './helpers.js';

const RULES = `
- name: receipts
  watch: inbox/receipts
  output: outputs/receipts
  approve: always
  after: trash
  actions:
    - move: "."
- name: ledger
  watch: inbox/ledger
  output: outputs/ledger
  approve: always
  on_conflict: overwrite
  actions:
    - rename: "ledger.csv"
- name: firsts
  watch: inbox/firsts
  output: outputs/firsts
  approve: first
  actions:
    - copy: "."
${PLAIN_RULE}`;

const openHome = homePerTest(RULES);

const by = 'from a test';

describe('holding a job for approval', () => {
  it('runs the job fully, stages its output and waits without publishing or touching the original', async () => {
    const home = openHome();
    const job = await home.run('receipts', 'inbox/receipts/coffee.txt', 'coffee 3.20');
    expect(job.status).toBe('waiting');
    expect(job.reason).toBe('awaiting approval');
    expect(fs.existsSync(path.join(home.paths.home, 'outputs/receipts/coffee.txt'))).toBe(false);
    expect(fs.existsSync(path.join(home.paths.home, 'inbox/receipts/coffee.txt'))).toBe(true);
    const held = heldPayload(job);
    expect(held?.staged.map((s) => s.dest)).toEqual([path.join(home.paths.home, 'outputs/receipts/coffee.txt')]);
    expect(fs.readFileSync(held?.staged[0]?.source as string, 'utf8')).toBe('coffee 3.20');
    expect(held?.changes).toEqual([`will move the original ${path.join(home.paths.home, 'inbox/receipts/coffee.txt')} to the trash`]);
    const step = home.store.logs(job.id).find((e) => e.kind === 'held');
    expect(JSON.parse(step?.data ?? '{}')).toMatchObject({ changes: held?.changes });
  });

  it('lists an overwrite of an existing output among the changes, and leaves new names out', async () => {
    const home = openHome();
    const existing = path.join(home.paths.home, 'outputs/ledger/ledger.csv');
    fs.mkdirSync(path.dirname(existing), { recursive: true });
    fs.writeFileSync(existing, 'old rows\n');
    const job = await home.run('ledger', 'inbox/ledger/march.csv', 'new rows\n');
    expect(heldPayload(job)?.changes).toEqual([`will overwrite ${existing}`]);
    const fresh = await home.run('receipts', 'inbox/receipts/tea.txt', 'tea');
    expect(heldPayload(fresh)?.changes.some((c) => c.includes('overwrite'))).toBe(false);
  });
});

describe('approving', () => {
  it('publishes the staged outputs, applies after: and ends succeeded with the outputs', async () => {
    const home = openHome();
    const job = await home.run('receipts', 'inbox/receipts/coffee.txt', 'coffee 3.20');
    const { job: done, done: lines } = approveJob({ store: home.store, paths: home.paths, by }, job.id, home.rules.rules);
    const out = path.join(home.paths.home, 'outputs/receipts/coffee.txt');
    expect(done.status).toBe('succeeded');
    expect(JSON.parse(done.outputs)).toEqual([out]);
    expect(fs.readFileSync(out, 'utf8')).toBe('coffee 3.20');
    expect(fs.existsSync(path.join(home.paths.home, 'inbox/receipts/coffee.txt'))).toBe(false);
    expect(trashed(home.root)).toEqual(['coffee.txt']);
    expect(lines[0]).toBe(out);
    expect(lines[1]).toMatch(/^moved the original to the trash/);
    expect(fs.existsSync(jobDir(home.paths.jobsDir, job.id))).toBe(false);
    expect(home.store.logs(job.id).map((e) => e.kind)).toContain('approved');
  });

  it('overwrites the existing output it listed', async () => {
    const home = openHome();
    const existing = path.join(home.paths.home, 'outputs/ledger/ledger.csv');
    fs.mkdirSync(path.dirname(existing), { recursive: true });
    fs.writeFileSync(existing, 'old rows\n');
    const job = await home.run('ledger', 'inbox/ledger/march.csv', 'new rows\n');
    expect(fs.readFileSync(existing, 'utf8')).toBe('old rows\n');
    approveJob({ store: home.store, paths: home.paths, by }, job.id, home.rules.rules);
    expect(fs.readFileSync(existing, 'utf8')).toBe('new rows\n');
  });

  it('refuses a job that is not held, and a second decision on the same job', async () => {
    const home = openHome();
    const plain = await home.run('plain', 'inbox/plain/a.txt', 'a');
    expect(plain.status).toBe('succeeded');
    expect(() => approveJob({ store: home.store, paths: home.paths, by }, plain.id, home.rules.rules)).toThrow(/not awaiting approval; it is succeeded/);
    const held = await home.run('receipts', 'inbox/receipts/b.txt', 'b');
    approveJob({ store: home.store, paths: home.paths, by }, held.id, home.rules.rules);
    expect(() => approveJob({ store: home.store, paths: home.paths, by }, held.id, home.rules.rules)).toThrow(DecisionError);
    expect(() => denyJob({ store: home.store, paths: home.paths, by }, held.id)).toThrow(/not awaiting approval/);
    expect(() => approveJob({ store: home.store, paths: home.paths, by }, 999, home.rules.rules)).toThrow(/no job 999/);
  });

  it('fails the job with the reason when its staged files are gone', async () => {
    const home = openHome();
    const job = await home.run('receipts', 'inbox/receipts/c.txt', 'c');
    fs.rmSync(jobDir(home.paths.jobsDir, job.id), { recursive: true });
    expect(() => approveJob({ store: home.store, paths: home.paths, by }, job.id, home.rules.rules)).toThrow(/approved, but publishing failed/);
    expect(home.store.get(job.id)?.status).toBe('failed');
    expect(fs.existsSync(path.join(home.paths.home, 'inbox/receipts/c.txt'))).toBe(true);
  });
});

describe('denying', () => {
  it('discards the staged outputs, records the reason and changes nothing', async () => {
    const home = openHome();
    const job = await home.run('receipts', 'inbox/receipts/dinner.txt', 'dinner 40');
    const denied = denyJob({ store: home.store, paths: home.paths, by }, job.id, '  not a business expense ');
    expect(denied.status).toBe('cancelled');
    expect(denied.reason).toBe('denied: not a business expense');
    expect(fs.existsSync(jobDir(home.paths.jobsDir, job.id))).toBe(false);
    expect(fs.existsSync(path.join(home.paths.home, 'outputs/receipts/dinner.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(home.paths.home, 'inbox/receipts/dinner.txt'), 'utf8')).toBe('dinner 40');
    expect(trashed(home.root)).toEqual([]);
    const again = await home.run('receipts', 'inbox/receipts/lunch.txt', 'lunch');
    expect(denyJob({ store: home.store, paths: home.paths, by }, again.id).reason).toBe('denied');
  });
});

describe('approve: first', () => {
  it('holds the first job and the first after the rule changes; after an approval, jobs publish by themselves', async () => {
    const home = openHome();
    const rule = (): NonNullable<ReturnType<typeof home.rules.rules.get>> => home.rules.rules.get('firsts') as NonNullable<ReturnType<typeof home.rules.rules.get>>;
    expect(needsApproval(rule(), home.store)).toBe(true);
    const first = await home.run('firsts', 'inbox/firsts/1.txt', 'one');
    const second = await home.run('firsts', 'inbox/firsts/2.txt', 'two');
    expect([first.status, second.status]).toEqual(['waiting', 'waiting']);

    denyJob({ store: home.store, paths: home.paths, by }, second.id, 'wrong');
    expect(needsApproval(rule(), home.store)).toBe(true); // a deny approves nothing

    approveJob({ store: home.store, paths: home.paths, by }, first.id, home.rules.rules);
    const third = await home.run('firsts', 'inbox/firsts/3.txt', 'three');
    expect(third.status).toBe('succeeded');
    expect(fs.readFileSync(path.join(home.paths.home, 'outputs/firsts/3.txt'), 'utf8')).toBe('three');

    // The rule's text changes: its next job is held again.
    home.setRules(RULES.replace('    - copy: "."\n- name: plain', '    - copy: "copies"\n- name: plain'));
    const fourth = await home.run('firsts', 'inbox/firsts/4.txt', 'four');
    expect(fourth.status).toBe('waiting');
    expect(heldPayload(fourth)?.staged[0]?.dest).toBe(path.join(home.paths.home, 'outputs/firsts/copies/4.txt'));
  });

  it('approving a job held under an older text does not approve the new text', async () => {
    const home = openHome();
    const old = await home.run('firsts', 'inbox/firsts/1.txt', 'one');
    home.setRules(RULES.replace('    - copy: "."\n- name: plain', '    - copy: "v2"\n- name: plain'));
    approveJob({ store: home.store, paths: home.paths, by }, old.id, home.rules.rules);
    // Published as it was staged, under the old text's folder.
    expect(fs.existsSync(path.join(home.paths.home, 'outputs/firsts/1.txt'))).toBe(true);
    const next = await home.run('firsts', 'inbox/firsts/2.txt', 'two');
    expect(next.status).toBe('waiting');
  });
});
