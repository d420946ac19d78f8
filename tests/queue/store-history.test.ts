/**
 * The store's history side, run against each store (the embedded SQLite file and a real
 * PostgreSQL server): the intake's memory, state, step logs, hashes, the list's filters, counts,
 * spending, waiting jobs, duplicates and every move's guard. Both must answer alike, to the type.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/queue/store.js';
import { dedupeKey } from '../../src/queue/store.js';
import { stores } from '../support/stores.js';

describe.each(stores())('the history ($name)', (backend) => {
  let where: string;
  let store: Store;
  const newJob = (sha: string, rule = 'r', file = `/in/${sha}.pdf`) => ({ rule, file, sha256: sha, trigger: 'watch' as const, dedupe: true });

  beforeEach(() => {
    where = backend.fresh();
    store = backend.open(where);
  });
  afterEach(() => store.close());

  describe('drops and produced content', () => {
    it('keeps one record per rule and path, replaced on put, forgotten by path or by folder', () => {
      const rec = { rule: 'r', path: '/in/a', size: 10, mtime_ms: 1700000000123.5, rule_def: 'd1', job_id: null };
      store.drops.put(rec);
      store.drops.put({ ...rec, rule: 'other' });
      store.drops.put({ ...rec, path: '/in/a/inner.pdf' });
      store.drops.put({ ...rec, path: '/in/ab' });
      expect(store.drops.get('r', '/in/a')).toEqual(rec);
      const job = store.enqueue(newJob('a'))!;
      store.drops.put({ ...rec, size: 11, rule_def: 'd2', job_id: job.id });
      expect(store.drops.get('r', '/in/a')).toEqual({ ...rec, size: 11, rule_def: 'd2', job_id: job.id });
      expect(store.drops.get('r', '/in/nothing')).toBeUndefined();

      store.drops.forget('/in/a', true);
      expect(store.drops.get('r', '/in/a')).toBeUndefined();
      expect(store.drops.get('other', '/in/a')).toBeUndefined();
      expect(store.drops.get('r', '/in/a/inner.pdf')).toBeUndefined();
      // A sibling whose name starts the same is not inside the folder.
      expect(store.drops.get('r', '/in/ab')).toBeDefined();
      store.drops.forget('/in/ab');
      expect(store.drops.get('r', '/in/ab')).toBeUndefined();
    });

    it('knows which content a rule took as input: not a schedule run, not a skipped row about it', () => {
      expect(store.drops.tookAsInput('r', 'c1')).toBe(false);
      store.enqueue(newJob('c1'));
      expect(store.drops.tookAsInput('r', 'c1')).toBe(true);
      expect(store.drops.tookAsInput('other', 'c1')).toBe(false);
      store.enqueue({ ...newJob('c2'), dedupe: false, status: 'skipped', reason: 'a duplicate' });
      expect(store.drops.tookAsInput('r', 'c2')).toBe(false);
      store.enqueue({ ...newJob('c3'), trigger: 'schedule' });
      expect(store.drops.tookAsInput('r', 'c3')).toBe(false);
      const failed = store.enqueue({ ...newJob('c4'), dedupe: false })!;
      expect(store.drops.tookAsInput('r', 'c4')).toBe(false);
      while (store.claim('w', ['none'])?.id !== failed.id) { /* the jobs before it */ }
      store.move(failed.id, 'failed', { reason: 'broke' });
      expect(store.drops.tookAsInput('r', 'c4')).toBe(true);
    });

    it('records which rules content came through, by every route, once per job', () => {
      store.drops.produce('scan', 1, null, ['out1', 'out1']);
      expect(store.drops.producers('out1')).toEqual([{ rule: 'scan', job_id: 1, lineage: ['scan'] }]);
      store.drops.produce('ocr', 2, 'out1', ['out2']);
      store.drops.produce('ocr', 2, 'out1', ['out2']);
      expect(store.drops.producers('out2')).toEqual([{ rule: 'ocr', job_id: 2, lineage: ['ocr', 'scan'] }]);
      store.drops.produce('file', 3, 'elsewhere', ['out2']);
      expect([...store.drops.lineage('out2')].sort()).toEqual(['file', 'ocr', 'scan']);
      expect(store.drops.producers('none')).toEqual([]);
    });
  });

  describe('state, step logs and hashes', () => {
    it('keeps state as JSON values, replaced on set', () => {
      expect(store.getState('k')).toBeUndefined();
      store.setState('k', { a: [1, 2], b: 'x' });
      expect(store.getState('k')).toEqual({ a: [1, 2], b: 'x' });
      store.setState('k', 3);
      expect(store.getState<number>('k')).toBe(3);
    });

    it('keeps the daemon record per host on a shared database, and every other key shared', () => {
      const other = backend.open(where);
      store.hostName = 'laptop';
      other.hostName = 'server';
      store.setState('daemon', { pid: 1 });
      other.setState('daemon', { pid: 2 });
      store.setState('shared', 'one');
      expect(other.getState('shared')).toBe('one');
      // One machine's file has one daemon; on a team's database each host has its own record.
      expect(store.getState('daemon')).toEqual(backend.name === 'postgres' ? { pid: 1 } : { pid: 2 });
      expect(other.getState('daemon')).toEqual({ pid: 2 });
      other.close();
    });

    it('logs a job\'s steps in order, with their data', () => {
      const job = store.enqueue(newJob('l'))!;
      store.log(job.id, 'step', 'copied', { to: '/out/a.pdf', n: 2 }, 1000.5);
      store.log(job.id, 'done', 'finished');
      const logs = store.logs(job.id);
      expect(logs.map((l) => [l.kind, l.message])).toEqual([['step', 'copied'], ['done', 'finished']]);
      expect(logs[0]).toMatchObject({ job_id: job.id, at: 1000.5, data: JSON.stringify({ to: '/out/a.pdf', n: 2 }) });
      expect(logs[1]?.data).toBeNull();
      expect(typeof logs[0]?.id).toBe('number');
      expect(store.logs(job.id + 1)).toEqual([]);
    });

    it('answers a file\'s hash only for the same size and modification time', () => {
      store.rememberHash('/in/a.pdf', 100, 1700000000000.25, 'h1');
      expect(store.cachedHash('/in/a.pdf', 100, 1700000000000.25)).toBe('h1');
      expect(store.cachedHash('/in/a.pdf', 101, 1700000000000.25)).toBeUndefined();
      expect(store.cachedHash('/in/a.pdf', 100, 1700000000001)).toBeUndefined();
      store.rememberHash('/in/a.pdf', 101, 5, 'h2');
      expect(store.cachedHash('/in/a.pdf', 101, 5)).toBe('h2');
      expect(store.cachedHash('/in/a.pdf', 100, 1700000000000.25)).toBeUndefined();
    });
  });

  describe('the list', () => {
    it('filters by status and rule, and pages newest first', () => {
      const ids = ['a', 'b', 'c', 'd', 'e'].map((s, i) => store.enqueue(newJob(s, i % 2 ? 'odd' : 'even'))!.id);
      store.claim('w');
      expect(store.list().map((j) => j.id)).toEqual([...ids].reverse());
      expect(store.list({ status: 'running' }).map((j) => j.id)).toEqual([ids[0]]);
      expect(store.list({ rule: 'odd' }).map((j) => j.id)).toEqual([ids[3], ids[1]]);
      expect(store.list({ rule: 'even', status: 'queued' }).map((j) => j.id)).toEqual([ids[4], ids[2]]);
      expect(store.list({ limit: 2 }).map((j) => j.id)).toEqual([ids[4], ids[3]]);
      expect(store.list({ limit: 2, offset: 2 }).map((j) => j.id)).toEqual([ids[2], ids[1]]);
      expect(store.list({ limit: 2, offset: 4 }).map((j) => j.id)).toEqual([ids[0]]);
    });

    it('searches file names literally (% and _ are characters) and without regard to ASCII case', () => {
      const id = (file: string): number => store.enqueue(newJob(file, 'r', `/in/${file}`))!.id;
      const under = id('a_b.pdf');
      const x = id('axb.pdf');
      const pct = id('100%.pdf');
      const plain = id('1000.pdf');
      const upper = id('Invoice-MARCH.PDF');
      const slash = id('back\\slash.pdf');
      const find = (search: string): number[] => store.list({ search }).map((j) => j.id);
      expect(find('_')).toEqual([under]);
      expect(find('a_b')).toEqual([under]);
      expect(find('%')).toEqual([pct]);
      expect(find('100')).toEqual([plain, pct]);
      expect(find('xb')).toEqual([x]);
      expect(find('\\')).toEqual([slash]);
      expect(find('invoice-march')).toEqual([upper]);
      expect(find('INVOICE')).toEqual([upper]);
      expect(find('.pdf')).toEqual([slash, upper, plain, pct, x, under]);
      expect(find('nothing')).toEqual([]);
    });

    it('filters by when a job was queued: since inclusive, until exclusive', () => {
      const a = store.enqueue(newJob('a'), 1000)!.id;
      const b = store.enqueue(newJob('b'), 2000)!.id;
      const c = store.enqueue(newJob('c'), 3000.5)!.id;
      expect(store.list({ since: 2000 }).map((j) => j.id)).toEqual([c, b]);
      expect(store.list({ until: 2000 }).map((j) => j.id)).toEqual([a]);
      expect(store.list({ since: 1000, until: 3000.5 }).map((j) => j.id)).toEqual([b, a]);
    });

    it('counts jobs by status, every status present', () => {
      store.enqueue(newJob('a'));
      store.enqueue(newJob('b'));
      store.enqueue({ ...newJob('c'), status: 'skipped', dedupe: false });
      store.claim('w');
      expect(store.counts()).toEqual({ queued: 1, running: 1, waiting: 0, succeeded: 0, failed: 0, skipped: 1, cancelled: 0, reverted: 0 });
    });
  });

  describe('spending', () => {
    it('sums the cost of jobs started since a time, and today from local midnight', () => {
      const now = new Date();
      const midnight = new Date(now);
      midnight.setHours(0, 0, 0, 0);
      const usage = (usd: number) => ({ input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: usd });
      const [a, b, c] = ['a', 'b', 'c'].map((s) => store.enqueue(newJob(s))!.id) as [number, number, number];
      for (const _ of [a, b, c]) store.claim('w');
      store.addUsage(a, usage(0.25));
      store.addUsage(a, usage(0.125));
      store.addUsage(b, usage(1));
      store.addUsage(c, usage(2));
      store.db.prepare('UPDATE jobs SET started_at = ? WHERE id = ?').run(midnight.getTime() - 1, c);
      expect(store.spendSince(0)).toBeCloseTo(3.375, 10);
      expect(store.spentToday(now)).toBeCloseTo(1.375, 10);
      expect(store.spendSince(Date.now() + 1000)).toBe(0);
      expect(store.get(a)).toMatchObject({ input_tokens: 2, output_tokens: 2, cost_usd: 0.375 });
    });
  });

  describe('waiting jobs', () => {
    it('wakes waiting jobs whose time has come, and resumes those waiting for a reason', () => {
      const due = store.enqueue({ ...newJob('due'), status: 'waiting', reason: 'the daily budget is spent' }, 1000)!;
      const later = store.enqueue({ ...newJob('later'), status: 'waiting', reason: 'the daily budget is spent' }, 5000)!;
      const key = store.enqueue({ ...newJob('key'), status: 'waiting', reason: 'no API key: add one' }, 9e15)!;
      const other = store.enqueue({ ...newJob('other'), status: 'waiting', reason: 'no API' }, 9e15)!;
      expect(store.wakeDue(2000)).toBe(1);
      expect(store.get(due.id)).toMatchObject({ status: 'queued', reason: null, finished_at: null });
      expect(store.get(later.id)?.status).toBe('waiting');
      expect(store.resumeWaiting('no API key', 3000)).toBe(1);
      expect(store.get(key.id)).toMatchObject({ status: 'queued', reason: null, run_at: 3000 });
      expect(store.get(other.id)?.status).toBe('waiting');
    });
  });

  describe('duplicates and dedupe keys', () => {
    it('finds the skipped duplicates of a job and adds to its reason', () => {
      const original = store.enqueue(newJob('d'))!;
      const dup = store.enqueue({ ...newJob('d', 'r', '/in/copy.pdf'), dedupe: false, status: 'skipped', reason: 'a duplicate', payload: { duplicate_of: original.id } })!;
      store.enqueue({ ...newJob('d', 'r', '/in/unrelated.pdf'), dedupe: false, status: 'skipped', payload: { duplicate_of: original.id + 100 } });
      expect(store.duplicatesOf(original.id).map((j) => j.id)).toEqual([dup.id]);
      store.appendReason(original.id, 'copy.pdf was the same', 5000);
      expect(store.get(original.id)?.reason).toBe('copy.pdf was the same');
      store.appendReason(original.id, 'and again');
      expect(store.get(original.id)?.reason).toBe('copy.pdf was the same; and again');
    });

    it('finds the job holding a key, and lets a failed job\'s content run again', () => {
      const first = store.enqueue({ ...newJob('k'), definition: 'v1' })!;
      const key = dedupeKey('r', 'v1', 'k');
      expect(store.byDedupeKey(key)?.id).toBe(first.id);
      expect(store.enqueue({ ...newJob('k'), definition: 'v1' })).toBeUndefined();
      // Another version of the rule is other work.
      expect(store.enqueue({ ...newJob('k'), definition: 'v2' })).toBeDefined();
      store.claim('w');
      store.move(first.id, 'failed', { reason: 'broke' }, { worker: 'w' });
      const again = store.enqueue({ ...newJob('k'), definition: 'v1' })!;
      expect(again.id).not.toBe(first.id);
      expect(store.get(first.id)).toMatchObject({ status: 'failed', dedupe_key: null });
      expect(store.byDedupeKey(key)?.id).toBe(again.id);
      // A succeeded job keeps its key.
      store.claim('w');
      store.move(again.id, 'succeeded', {}, { worker: 'w' });
      expect(store.enqueue({ ...newJob('k'), definition: 'v1' })).toBeUndefined();
    });
  });

  describe('moves', () => {
    it('refuses moves the state machine does not allow, from a state not listed, or by another worker', () => {
      const job = store.enqueue(newJob('m'))!;
      expect(store.move(job.id, 'succeeded')).toBeUndefined(); // queued → succeeded is no move
      expect(store.move(job.id, 'reverted')).toBeUndefined();
      expect(store.move(job.id, 'cancelled', {}, { from: ['running'] })).toBeUndefined();
      store.claim('h/w1');
      expect(store.move(job.id, 'failed', {}, { worker: 'h/w2' })).toBeUndefined();
      const waiting = store.move(job.id, 'waiting', { reason: 'approve it', run_at: Number.MAX_SAFE_INTEGER }, { worker: 'h/w1', now: 7000 });
      expect(waiting).toMatchObject({ status: 'waiting', finished_at: 7000, run_at: Number.MAX_SAFE_INTEGER, locked_by: 'h/w1' });
      const done = store.move(job.id, 'succeeded', { outputs: '["/out/m.pdf"]' }, { now: 8000 });
      expect(done).toMatchObject({ status: 'succeeded', finished_at: 8000, locked_by: null, outputs: '["/out/m.pdf"]', updated_at: 8000 });
      expect(store.move(job.id, 'queued')).toBeUndefined();
      expect(store.move(job.id, 'reverted')?.status).toBe('reverted');
      expect(store.move(job.id, 'succeeded')).toBeUndefined();
    });

    it('puts a job back in the queue with its lock and finish time cleared', () => {
      const job = store.enqueue(newJob('q'))!;
      store.claim('w');
      store.move(job.id, 'failed', { last_error: 'boom' }, { worker: 'w' });
      const back = store.move(job.id, 'queued', { run_at: 123.5, reason: null }, { now: 9000 });
      expect(back).toMatchObject({ status: 'queued', locked_by: null, finished_at: null, run_at: 123.5, last_error: 'boom', attempts: 1 });
      expect(typeof back?.attempts).toBe('number');
      expect(store.nextRunAt()).toBe(123.5);
    });
  });
});
