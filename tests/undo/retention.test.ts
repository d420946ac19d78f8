/** Undo's limits: old jobs and the oldest versions over the size limit stop being revertable. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneUndo, undoSpace } from '../../src/undo/retention.js';
import { revertJobs } from '../../src/undo/revert.js';
import { stores } from '../support/stores.js';
import { undoBench, write, type UndoBench } from './helpers.js';

describe.each(stores())('undo retention ($name)', (backend) => {
  let b: UndoBench;
  beforeEach(() => { b = undoBench(() => backend.open(backend.fresh())); });
  afterEach(() => b.cleanup());

  const DAY = 86_400_000;

  it('jobs older than undo_keep_days can no longer be reverted, and their kept versions go', () => {
    const f = path.join(b.out, 'a.txt');
    fs.writeFileSync(f, 'x'.repeat(1000));
    const old = b.job((j) => write(j, f, 'replaced once'));
    const recent = b.job((j) => write(j, path.join(b.out, 'b.txt'), 'new'));
    b.store.db.prepare('UPDATE jobs SET finished_at = ? WHERE id = ?').run(Date.now() - 40 * DAY, old);
    expect(undoSpace(b.store).bytes).toBe(1000);
    const r = pruneUndo(b.store, b.blobs, { keepDays: 30, maxMb: 1024 });
    expect(r).toMatchObject({ expired: 1, freedBytes: 1000, usedBytes: 0 });
    const refused = revertJobs(b.store, b.blobs, { jobs: [old], cascade: false, dryRun: true, by: 'by hand' });
    expect(!refused.ok && refused.why).toContain('can no longer be reverted');
    expect(revertJobs(b.store, b.blobs, { jobs: [recent], cascade: false, dryRun: false, by: 'by hand' }).ok).toBe(true);
  });

  it('over undo_max_mb the oldest jobs lose their versions first; a version shared with a newer job stays', () => {
    const big = (n: number): string => String(n).repeat(400_000);
    const files = [0, 1, 2].map((i) => path.join(b.out, `f${i}.bin`));
    files.forEach((f, i) => fs.writeFileSync(f, big(i)));
    const ids = files.map((f) => b.job((j) => write(j, f, 'small')));
    expect(undoSpace(b.store).bytes).toBe(1_200_000);
    const r = pruneUndo(b.store, b.blobs, { keepDays: 30, maxMb: 0.8 });
    expect(r.expired).toBe(1);
    expect(r.usedBytes).toBe(800_000);
    expect(b.store.get(ids[0] ?? 0)?.undo_expired).toBe(1);
    expect(b.store.get(ids[2] ?? 0)?.undo_expired).toBe(0);
  });
});
