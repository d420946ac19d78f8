/**
 * Revert against real folders and a real history (a SQLite file, and a PostgreSQL database):
 * exact bytes back, or nothing touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { factsOf } from '../../src/publish/content.js';
import { Blobs } from '../../src/undo/blobs.js';
import { saveJournal } from '../../src/undo/journal.js';
import { pruneUndo } from '../../src/undo/retention.js';
import { jobsOfRuleBetween, resumeReverts, revertJobs } from '../../src/undo/revert.js';
import { stores } from '../support/stores.js';
import { append, snapshot, undoBench, write, type UndoBench } from './helpers.js';

describe.each(stores())('revert ($name)', (backend) => {
  let b: UndoBench;
  beforeEach(() => { b = undoBench(() => backend.open(backend.fresh())); });
  afterEach(() => b.cleanup());

  const revert = (jobs: number[], opts: { cascade?: boolean; dryRun?: boolean } = {}) =>
    revertJobs(b.store, b.blobs, { jobs, cascade: opts.cascade ?? false, dryRun: opts.dryRun ?? false, by: 'by hand' });

  it('removes a file the job created and marks the job reverted, saying by whom', () => {
    const f = path.join(b.out, 'a.txt');
    const id = b.job((j) => write(j, f, 'hello'));
    const r = revert([id]);
    expect(r.ok).toBe(true);
    expect(fs.existsSync(f)).toBe(false);
    const row = b.store.get(id);
    expect(row?.status).toBe('reverted');
    expect(row?.reverted_by).toBe('by hand');
    expect(b.store.logs(id).some((l) => l.kind === 'revert' && l.message.includes('remove'))).toBe(true);
  });

  it('puts back the exact earlier bytes of a replaced file, kept once however often it was replaced', () => {
    const f = path.join(b.out, 'report.bin');
    const earlier = Buffer.from([0, 1, 2, 255, 10, 13]);
    fs.writeFileSync(f, earlier);
    const id = b.job((j) => write(j, f, 'new version'));
    expect(revert([id]).ok).toBe(true);
    expect(fs.readFileSync(f).equals(earlier)).toBe(true);
    // The same earlier content replaced again: still one blob.
    b.job((j) => write(j, f, 'v2'));
    fs.writeFileSync(f, earlier);
    b.job((j) => write(j, f, 'v3'));
    const blobs = fs.readdirSync(b.blobs.dir, { recursive: true }).filter((n) => String(n).length > 60);
    expect(blobs).toHaveLength(1);
  });

  it('dry run lists every step and changes nothing', () => {
    const f = path.join(b.out, 'a.txt');
    const id = b.job((j) => write(j, f, 'x'));
    const before = snapshot(b.out);
    const r = revert([id], { dryRun: true });
    expect(r.ok && r.plan.steps.map((s) => s.do)).toEqual(['remove']);
    expect(snapshot(b.out)).toEqual(before);
    expect(b.store.get(id)?.status).toBe('succeeded');
  });

  it('refuses, touching nothing, when the person edited an output; names the file', () => {
    const f = path.join(b.out, 'a.txt');
    const g = path.join(b.out, 'b.txt');
    const id = b.job((j) => { write(j, f, 'x'); write(j, g, 'y'); });
    fs.writeFileSync(g, 'edited by hand');
    const before = snapshot(b.out);
    const r = revert([id]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.why).toContain(g);
    expect(snapshot(b.out)).toEqual(before);
    expect(b.store.get(id)?.status).toBe('succeeded');
  });

  it('a ledger appended to by two later jobs: refused without --cascade, exact earlier bytes with it', () => {
    const ledger = path.join(b.out, 'receipts.csv');
    fs.writeFileSync(ledger, 'date,vendor,total\n');
    const start = fs.readFileSync(ledger);
    const first = b.job((j) => append(j, ledger, '2026-11-01,Acme,10.00\n'));
    const second = b.job((j) => append(j, ledger, '2026-11-02,Bolt,20.00\n'));
    const third = b.job((j) => append(j, ledger, '2026-11-03,Crane,30.00\n'));
    const refused = revert([first]);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.why).toMatch(new RegExp(`job ${second}.*${third}|job ${third}.*${second}|--cascade`, 's'));
    expect(fs.readFileSync(ledger, 'utf8').split('\n')).toHaveLength(5);
    const r = revert([first], { cascade: true });
    expect(r.ok && r.reverted).toEqual([third, second, first]);
    expect(fs.readFileSync(ledger).equals(start)).toBe(true);
  });

  it('reverting only the newest append leaves the earlier rows', () => {
    const ledger = path.join(b.out, 'l.csv');
    b.job((j) => append(j, ledger, 'h\n'));
    b.job((j) => append(j, ledger, 'a\n'));
    const last = b.job((j) => append(j, ledger, 'b\n'));
    expect(revert([last]).ok).toBe(true);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('h\na\n');
  });

  it('moves an original back from where after: put it', () => {
    const inbox = path.join(b.root, 'inbox');
    const trash = path.join(b.root, 'trash');
    fs.mkdirSync(inbox);
    fs.mkdirSync(trash);
    const original = path.join(inbox, 'scan.pdf');
    fs.writeFileSync(original, '%PDF-1.4 scan');
    const info = path.join(trash, 'scan.pdf.trashinfo');
    const id = b.job((j) => {
      const content = factsOf(original);
      fs.renameSync(original, path.join(trash, 'scan.pdf'));
      fs.writeFileSync(info, '[Trash Info]\n');
      j.movedOriginal(original, path.join(trash, 'scan.pdf'), content, info);
    });
    expect(revert([id]).ok).toBe(true);
    expect(fs.readFileSync(original, 'utf8')).toBe('%PDF-1.4 scan');
    expect(fs.existsSync(path.join(trash, 'scan.pdf'))).toBe(false);
    expect(fs.existsSync(info)).toBe(false);
  });

  it('is idempotent: a second revert does nothing and says the job is already reverted', () => {
    const f = path.join(b.out, 'a.txt');
    const id = b.job((j) => write(j, f, 'x'));
    expect(revert([id]).ok).toBe(true);
    const again = revert([id]);
    expect(again.ok && again.plan.alreadyReverted).toEqual([id]);
  });

  it('finds a rule\'s finished jobs in a time window, and finishes a revert a stop cut short', () => {
    const f = path.join(b.out, 'a.txt');
    const first = b.job((j) => write(j, f, 'x'));
    const other = b.job((j) => write(j, path.join(b.out, 'o.txt'), 'o'), 'other');
    const second = b.job((j) => write(j, path.join(b.out, 'b.txt'), 'y'));
    expect(jobsOfRuleBetween(b.store, 'r', 0, Date.now() + 1000)).toEqual([second, first]);
    expect(jobsOfRuleBetween(b.store, 'other', 0, Date.now() + 1000)).toEqual([other]);
    expect(jobsOfRuleBetween(b.store, 'r', Date.now() + 1000, Date.now() + 2000)).toEqual([]);
    // Recorded, then the process was killed before it touched anything.
    b.store.db.prepare('INSERT INTO reverts (jobs, by, started_at) VALUES (?, ?, ?)').run(JSON.stringify([first]), 'by hand', Date.now());
    expect(resumeReverts(b.store, b.blobs)).toEqual({ resumed: [first], stuck: [] });
    expect(fs.existsSync(f)).toBe(false);
    expect(b.store.get(first)?.status).toBe('reverted');
    expect(resumeReverts(b.store, b.blobs)).toEqual({ resumed: [], stuck: [] });
  });

  it('believes only changes this host marked: a row added to the history by hand, or a job another host journaled, is refused whole', () => {
    const f = path.join(b.out, 'a.txt');
    const id = b.job((j) => write(j, f, 'hello'));
    const victim = path.join(b.root, 'victim.txt');
    fs.writeFileSync(victim, 'mine');
    b.store.db.prepare("INSERT INTO undo_journal (job_id, kind, path, sha256, size, at) VALUES (?, 'created', ?, ?, ?, ?)").run(id, victim, factsOf(victim).sha256, 4, Date.now());
    const r = revert([id]);
    expect(r.ok ? '' : r.why).toContain(`job ${id} cannot be reverted here: 1 of the 2 change(s) its undo record lists were not recorded by this host`);
    expect(fs.readFileSync(victim, 'utf8')).toBe('mine');
    expect(fs.readFileSync(f, 'utf8')).toBe('hello');
    // A host with another key (another machine of the team) finds none of it its own.
    const elsewhere = new Blobs(path.join(b.root, 'elsewhere', 'undo', 'blobs'));
    const there = revertJobs(b.store, elsewhere, { jobs: [id], cascade: false, dryRun: false, by: 'by hand' });
    expect(there.ok ? '' : there.why).toContain('2 of the 2 change(s)');
    expect(b.store.get(id)?.status).toBe('succeeded');
  });

  it('takes a kept version\'s name only as a hex sha256: restore and prune never read or delete by another name', () => {
    const f = path.join(b.out, 'report.txt');
    fs.writeFileSync(f, 'new');
    const victim = path.join(b.root, 'victim.txt');
    fs.writeFileSync(victim, 'earlier');
    const name = path.relative(path.join(b.blobs.dir, '..'), victim);
    expect(() => b.blobs.pathOf(name)).toThrow(/is not the name of a kept version/);
    // Even a change carrying this host's mark (as if the key had signed a bad name) is refused.
    const id = b.job(() => undefined);
    const change = { kind: 'replaced' as const, path: f, ...factsOf(f), prevSha256: name, prevSize: 7 };
    b.store.db.transaction(() => saveJournal(b.store.db, id, [change], b.blobs.seal))();
    const r = revert([id]);
    expect(r.ok ? '' : r.why).toContain('which is not a sha256; refused');
    expect(fs.readFileSync(f, 'utf8')).toBe('new');
    b.store.db.prepare('UPDATE jobs SET undo_expired = 1 WHERE id = ?').run(id);
    const pruned = pruneUndo(b.store, b.blobs, { keepDays: 30, maxMb: 100 });
    expect(pruned.refused).toEqual([name]);
    expect(fs.readFileSync(victim, 'utf8')).toBe('earlier');
  });

  it('refuses jobs that did not finish', () => {
    const row = b.store.enqueue({ rule: 'r', file: null, sha256: 'q', trigger: 'manual', dedupe: false });
    const r = revert([row?.id ?? 0]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.why).toContain('is queued');
  });
});
