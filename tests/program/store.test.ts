import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideProgram, modelCostPerFile } from '../../src/program/decide.js';
import { savedByPrograms } from '../../src/program/savings.js';
import { addExample, addProgram, approvedProgram, countRun, currentProgram, decide, exampleDirs, examplesOf, programsOf, pruneExamples, retire, retireStale, taskHash } from '../../src/program/store.js';
import { maybeCompile, unlearned } from '../../src/program/trigger.js';
import { Store } from '../../src/queue/store.js';
import type { Rule } from '../../src/rules/rule.js';
import { stores } from '../support/stores.js';

let dir: string;
let store: Store;
const rule = { name: 'ledger', do: 'Add a row.', files: ['*.pdf'], output: '/out/ledger', compile: { after: 3, recompileAfter: 2, maxCostUsd: 0.5 } } as unknown as Rule;

// Programs keep their own tables in the history: the same tests against each store.
describe.each(stores())('programs in the history ($name)', (backend) => {
  beforeEach(() => {
    store = backend.open(backend.fresh());
  });
  afterEach(() => store.close());

  /** A succeeded agent job of the rule, kept as an example. */
  function example(n: number): number {
    const job = store.enqueue({ rule: 'ledger', file: `/in/${n}.pdf`, sha256: `s${n}`, trigger: 'watch', dedupe: false })!;
    store.db.prepare("UPDATE jobs SET status = 'succeeded' WHERE id = ?").run(job.id);
    addExample(store.db, { job_id: job.id, rule: 'ledger', task_hash: taskHash(rule), dir: `/ex/${job.id}`, cost_usd: 0.01 });
    return job.id;
  }

  describe('programs', () => {
    it('a suggested program is approved by a person, which retires the one before; --forget retires it', () => {
      const v1 = addProgram(store.db, { rule: 'ledger', taskHash: taskHash(rule), status: 'approved', source: 'print(1)', examples: [1], replay: [], approvedBy: 'auto' });
      const v2 = addProgram(store.db, { rule: 'ledger', taskHash: taskHash(rule), status: 'suggested', source: 'print(2)', examples: [1, 2], replay: [] });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v2.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(approvedProgram(store.db, rule)?.version).toBe(1);
      expect(decide(store.db, v2.id, 'approved', 'by hand')).toBe(true);
      expect(decide(store.db, v2.id, 'rejected', 'by hand')).toBe(false);
      expect(approvedProgram(store.db, rule)).toMatchObject({ version: 2, approvedBy: 'by hand' });
      expect(programsOf(store.db, 'ledger').map((p) => p.status)).toEqual(['approved', 'retired']);
      expect(retire(store.db, 'ledger', 'forgotten by hand')).toBe(1);
      expect(approvedProgram(store.db, rule)).toBeUndefined();
    });

    it("is keyed by the rule's do:, files and output: another text retires it", () => {
      addProgram(store.db, { rule: 'ledger', taskHash: taskHash(rule), status: 'approved', source: 'x', examples: [], replay: [] });
      expect(retireStale(store.db, rule)).toBe(0);
      for (const changed of [{ ...rule, do: 'Add two rows.' }, { ...rule, files: ['*.png'] }, { ...rule, output: '/elsewhere' }]) {
        expect(approvedProgram(store.db, changed)).toBeUndefined();
      }
      expect(retireStale(store.db, { ...rule, do: 'Add two rows.' })).toBe(1);
      expect(currentProgram(store.db, rule)).toBeUndefined();
    });
  });

  describe('when a rule compiles', () => {
    it('queues one compile job once it has compile_after examples, never two at once, and after a failed one only with recompile_after newer examples', () => {
      example(1);
      example(2);
      expect(maybeCompile(store, rule, 'suggest')).toBeUndefined();
      const ids = example(3);
      expect(maybeCompile(store, rule, 'off')).toBeUndefined();
      const job = maybeCompile(store, rule, 'suggest');
      expect(job).toMatchObject({ trigger: 'compile', file: null, status: 'queued' });
      expect(JSON.parse(job!.payload)).toEqual({ task_hash: taskHash(rule), examples: [ids - 2, ids - 1, ids] });
      expect(maybeCompile(store, rule, 'suggest')).toBeUndefined();
      // It failed (its cost cap, say): tried again only after recompile_after (2) newer examples.
      store.db.prepare("UPDATE jobs SET status = 'failed' WHERE id = ?").run(job!.id);
      expect(maybeCompile(store, rule, 'suggest')).toBeUndefined();
      example(4);
      expect(maybeCompile(store, rule, 'suggest')).toBeUndefined();
      example(5);
      expect(maybeCompile(store, rule, 'suggest')).toBeDefined();
    });

    it('not while a program is suggested, rejected or not compilable; again after recompile_after fallbacks with a new example', () => {
      for (const n of [1, 2, 3]) example(n);
      const p = addProgram(store.db, { rule: 'ledger', taskHash: taskHash(rule), status: 'not_compilable', reason: 'cannot be compiled: summaries', examples: [1, 2, 3], replay: [] });
      expect(maybeCompile(store, rule, 'auto')).toBeUndefined();
      store.db.prepare("UPDATE programs SET status = 'approved', examples = ? WHERE id = ?").run(JSON.stringify([1, 2, 3]), p.id);
      const last = example(4);
      store.db.prepare('UPDATE programs SET examples = ? WHERE id = ?').run(JSON.stringify([last]), p.id);
      store.db.prepare('UPDATE programs SET fallbacks = 1 WHERE id = ?').run(p.id);
      expect(maybeCompile(store, rule, 'auto')).toBeUndefined();
      store.db.prepare('UPDATE programs SET fallbacks = 2 WHERE id = ?').run(p.id);
      expect(maybeCompile(store, rule, 'auto')).toBeUndefined();
      example(5);
      expect(maybeCompile(store, rule, 'auto')).toBeDefined();
    });
  });

  describe('what programs save', () => {
    it('prices a file by its examples\' model cost, and sums what program runs saved', () => {
      const ids = [1, 2, 3].map(example);
      ids.forEach((id, i) => store.addUsage(id, { input_tokens: 100, output_tokens: 10, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: [0.01, 0.02, 0.06][i] as number }));
      const p = addProgram(store.db, { rule: 'ledger', taskHash: taskHash(rule), status: 'suggested', source: 'x', examples: ids, replay: [] });
      expect(modelCostPerFile(store, p)).toBeCloseTo(0.03, 10);
      expect(modelCostPerFile(store, { ...p, examples: [] })).toBe(0);
      expect(decideProgram(store, 'ledger', 'approve', 'by hand', rule)).toMatchObject({ ok: true, program: { status: 'approved', approvedBy: 'by hand' } });
      expect(decideProgram(store, 'ledger', 'reject', 'by hand', rule)).toMatchObject({ ok: false, why: expect.stringContaining('v1 is approved') });
      countRun(store.db, p.id, false);
      countRun(store.db, p.id, true);
      expect(programsOf(store.db, 'ledger')[0]).toMatchObject({ runs: 1, fallbacks: 1 });
      for (const n of [10, 11]) {
        const job = store.enqueue({ rule: 'ledger', file: `/in/${n}.pdf`, sha256: `p${n}`, trigger: 'watch', dedupe: false })!;
        store.db.prepare("UPDATE jobs SET status = 'succeeded', runner = 'program', program_version = 1, started_at = ? WHERE id = ?").run(Date.now(), job.id);
      }
      const saved = savedByPrograms(store, 0);
      expect(saved.files).toBe(2);
      expect(saved.usd).toBeCloseTo(0.06, 10);
      expect(saved.by_rule).toEqual([{ rule: 'ledger', files: 2, usd: expect.closeTo(0.06, 10) as number }]);
      expect(savedByPrograms(store, Date.now() + 60_000)).toEqual({ usd: 0, files: 0, by_rule: [] });
      expect(decideProgram(store, 'ledger', 'forget', 'by hand')).toEqual({ ok: true, retired: 1 });
    });

    it('finds succeeded file jobs not yet kept as examples, and the example folders of jobs', () => {
      const kept = example(1);
      const fresh = store.enqueue({ rule: 'ledger', file: '/in/new.pdf', sha256: 'n', trigger: 'watch', dedupe: false })!;
      store.db.prepare("UPDATE jobs SET status = 'succeeded', started_at = ? WHERE id = ?").run(Date.now(), fresh.id);
      store.db.prepare('UPDATE jobs SET started_at = ? WHERE id = ?').run(Date.now(), kept);
      expect(unlearned(store, rule, new Set()).map((j) => j.id)).toEqual([fresh.id]);
      expect(unlearned(store, rule, new Set([fresh.id]))).toEqual([]);
      expect(exampleDirs(store.db, [kept, fresh.id])).toEqual([`/ex/${kept}`]);
    });
  });

  describe('examples kept', () => {
    it('the newest 10 of a rule, and those a live program was proven on', () => {
      const ids = Array.from({ length: 12 }, (_, i) => example(i + 1));
      addProgram(store.db, { rule: 'ledger', taskHash: taskHash(rule), status: 'approved', source: 'x', examples: [ids[0] as number], replay: [] });
      expect(pruneExamples(store.db, 'ledger')).toEqual([`/ex/${ids[1]}`]);
      expect(examplesOf(store.db, rule, 100).map((e) => e.job_id)).toEqual([ids[0], ...ids.slice(2)]);
      retire(store.db, 'ledger', 'gone');
      expect(pruneExamples(store.db, 'ledger')).toEqual([`/ex/${ids[0]}`]);
    });
  });
});

describe('migration 0005', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-programs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('upgrades a database with history: jobs and their step log stay, the compile trigger is allowed, others are still refused', () => {
    const file = path.join(dir, 'old.db');
    const db = new Database(file);
    const sql = (n: string): string => fs.readFileSync(path.join('src/queue/migrations', fs.readdirSync('src/queue/migrations').find((f) => f.startsWith(n)) as string), 'utf8');
    db.exec(sql('0001'));
    db.exec(sql('0002'));
    db.exec(sql('0003'));
    db.unsafeMode(true);
    db.exec(sql('0004'));
    db.unsafeMode(false);
    db.pragma('user_version = 4');
    db.prepare("INSERT INTO jobs (rule, trigger, status, run_at, created_at, updated_at) VALUES ('r', 'watch', 'succeeded', 1, 1, 1)").run();
    db.prepare("INSERT INTO job_log (job_id, at, kind, message) VALUES (1, 1, 'published', 'x')").run();
    db.close();
    store = new Store(file);
    expect(store.db.version()).toBeGreaterThanOrEqual(5);
    expect(store.get(1)?.status).toBe('succeeded');
    expect(store.logs(1)).toHaveLength(1);
    expect(store.enqueue({ rule: 'r', file: null, sha256: null, trigger: 'compile', dedupe: false })?.trigger).toBe('compile');
    expect(() => store.db.prepare("INSERT INTO jobs (rule, trigger, status, run_at, created_at, updated_at) VALUES ('r', 'nope', 'queued', 1, 1, 1)").run()).toThrow(/CHECK/);
    store.close();
  });
});
