/**
 * What a team's hosts share through the store, run against each store: hosts' heartbeats, files
 * that travel with their jobs, leases, start-up recovery's scope, the claim's exclusions, and
 * exactly-once claiming by separate processes. One machine's SQLite file has no leases; the
 * tests say where the two differ, and why.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/queue/store.js';
import { freshStore, newJob, stores } from '../support/stores.js';

const DIST = path.resolve('dist');

function claimer(engine: string, where: string, worker: string, startAt: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['tests/support/claim-jobs.mjs', DIST, engine, where, worker, String(startAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`${worker} exited ${code}: ${err}`))));
  });
}

describe.each(stores())('a team on one store ($name)', (backend) => {
  let where: string;
  let store: Store;
  beforeEach(() => {
    ({ where, store } = freshStore(backend));
    store.hostName = 'laptop';
  });
  afterEach(() => store.close());

  it('keeps one row per host, replaced by each heartbeat, listed by name', () => {
    const host = { name: 'server', role: 'work' as const, version: '0.2.0', pid: 4242, started_at: 1000.5, running: 2, rules: '{"a":"h1"}' };
    store.heartbeatHost(host, 2000);
    store.heartbeatHost({ ...host, name: 'laptop', role: 'collect', running: 0 }, 2500);
    store.heartbeatHost({ ...host, running: 3, version: '0.2.1' }, 3000);
    expect(store.hosts()).toEqual([
      { ...host, name: 'laptop', role: 'collect', running: 0, heartbeat_at: 2500 },
      { ...host, running: 3, version: '0.2.1', heartbeat_at: 3000 },
    ]);
  });

  it('keeps a travelling file byte for byte, once per job', () => {
    const job = store.enqueue(newJob('f'))!;
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256).reverse());
    expect(store.keptFile(job.id)).toBeUndefined();
    store.keepFile(job.id, 'every byte.bin', bytes, 'sha-f');
    store.keepFile(job.id, 'second.bin', Buffer.from('other'), 'sha-g');
    const kept = store.keptFile(job.id)!;
    expect(kept.name).toBe('every byte.bin');
    expect(kept.sha256).toBe('sha-f');
    expect(Buffer.isBuffer(kept.bytes)).toBe(true);
    expect(kept.bytes.equals(bytes)).toBe(true);
    const empty = store.enqueue(newJob('e'))!;
    store.keepFile(empty.id, 'empty', Buffer.alloc(0), 'sha-e');
    expect(store.keptFile(empty.id)?.bytes.length).toBe(0);
  });

  it('records which host collected a job and which ran it', () => {
    const job = store.enqueue(newJob('h'))!;
    expect(job.collected_by).toBe('laptop');
    expect(store.claim('server/worker-1')).toMatchObject({ id: job.id, ran_by: 'server', locked_by: 'server/worker-1' });
  });

  it('claims around excluded rules', () => {
    const a = store.enqueue(newJob('1', 'busy'))!;
    const b = store.enqueue(newJob('2', 'free'))!;
    expect(store.claim('w', ['busy', 'other'])?.id).toBe(b.id);
    expect(store.claim('w', ['busy'])).toBeUndefined();
    expect(store.claim('w', [])?.id).toBe(a.id);
  });

  it('leases a running job to its worker: renewed while it runs; on a team\'s database, back to the queue when it runs out', () => {
    store.leaseMs = 60_000;
    const job = store.enqueue(newJob('l'), 0)!;
    expect(store.claim('laptop/w1', [], 1000)?.lease_until).toBe(61_000);
    expect(store.renewLeases('laptop/w1', [job.id], 30_000)).toBe(1);
    expect(store.renewLeases('laptop/w2', [job.id], 30_000)).toBe(0);
    // A job the worker is not running any more (it gave up recording its end) is not renewed.
    expect(store.renewLeases('laptop/w1', [], 30_000)).toBe(0);
    expect(store.get(job.id)?.lease_until).toBe(90_000);
    expect(store.stillHolds(job.id, 'laptop/w1', 80_000)).toBe(true);
    expect(store.stillHolds(job.id, 'laptop/w2', 80_000)).toBe(false);
    expect(store.requeueExpired(3, 89_000)).toEqual({ requeued: [], failed: [] });
    if (backend.name === 'sqlite') {
      // One machine has no leases: its daemon recovers its own jobs at start.
      expect(store.stillHolds(job.id, 'laptop/w1', 1e12)).toBe(true);
      expect(store.requeueExpired(3, 1e12)).toEqual({ requeued: [], failed: [] });
      expect(store.get(job.id)?.status).toBe('running');
      return;
    }
    // Asked right before publishing, it renews the lease: the publish has a whole lease to finish.
    expect(store.get(job.id)?.lease_until).toBe(140_000);
    expect(store.requeueExpired(3, 139_000)).toEqual({ requeued: [], failed: [] });
    // Run out but not yet taken back: still this worker's (a slow host is no reason to fail the
    // job); asking renews it, so no other host takes it back under the publish.
    expect(store.stillHolds(job.id, 'laptop/w1', 141_000)).toBe(true);
    expect(store.requeueExpired(3, 141_000)).toEqual({ requeued: [], failed: [] });
    // Run out and taken back by another host: it is not this worker's any more.
    const { requeued, failed } = store.requeueExpired(3, 202_000);
    expect(requeued.map((r) => [r.id, r.status, r.crashes, r.locked_by])).toEqual([[job.id, 'queued', 1, null]]);
    expect(failed).toEqual([]);
    expect(store.stillHolds(job.id, 'laptop/w1', 202_000)).toBe(false);
    expect(store.renewLeases('laptop/w1', [job.id], 203_000)).toBe(0);
    // Another worker runs it; the first one, back from the dead, holds nothing.
    expect(store.claim('server/w9', [], 203_000)?.id).toBe(job.id);
    expect(store.stillHolds(job.id, 'laptop/w1', 203_000)).toBe(false);
    expect(store.move(job.id, 'succeeded', {}, { worker: 'laptop/w1', from: ['running'] })).toBeUndefined();
    expect(store.stillHolds(job.id, 'server/w9', 204_000)).toBe(true);
  });

  it('fails a job whose lease ran out too many times (a team\'s database)', () => {
    const job = store.enqueue(newJob('c'), 0)!;
    store.db.prepare('UPDATE jobs SET crashes = 2 WHERE id = ?').run(job.id);
    store.claim('laptop/w', [], 0);
    const { requeued, failed } = store.requeueExpired(3, store.leaseMs + 1);
    expect(requeued).toEqual([]);
    expect(failed.map((r) => [r.id, r.status])).toEqual(backend.name === 'postgres' ? [[job.id, 'failed']] : []);
    expect(store.get(job.id)?.status).toBe(backend.name === 'postgres' ? 'failed' : 'running');
  });

  it('recovers at start only its own host\'s running jobs on a team\'s database, and any whose lease ran out', () => {
    const mine = store.enqueue(newJob('m'), 0)!;
    const theirs = store.enqueue(newJob('t'), 0)!;
    const similar = store.enqueue(newJob('s'), 0)!;
    store.claim('h1/w', [], 1000);
    store.claim('h2/w', [], 1000);
    store.claim('h10/w', [], 1000);
    const first = store.recover(3, 'h1', 2000);
    const status = (): string[] => [mine, theirs, similar].map((j) => store.get(j.id)!.status);
    if (backend.name === 'sqlite') {
      // One machine's file has one daemon: everything left running was its predecessor's.
      expect(first.requeued.map((r) => r.id)).toEqual([mine.id, theirs.id, similar.id]);
      expect(status()).toEqual(['queued', 'queued', 'queued']);
      return;
    }
    expect(first.requeued.map((r) => r.id)).toEqual([mine.id]);
    expect(status()).toEqual(['queued', 'running', 'running']);
    // Without a host name only jobs whose lease ran out are anyone's to take back.
    expect(store.recover(3, undefined, 2000).requeued).toEqual([]);
    expect(store.get(theirs.id)?.crashes).toBe(0);
    const later = store.recover(3, 'h1', 1000 + store.leaseMs + 1);
    expect(later.requeued.map((r) => r.id).sort()).toEqual([theirs.id, similar.id]);
    expect(status()).toEqual(['queued', 'queued', 'queued']);
  });

  it('hands each of 500 jobs to exactly one of two processes claiming at once', async () => {
    const n = 500;
    store.enqueueMany(Array.from({ length: n }, (_, i) => newJob(`p${i}`)));
    const startAt = Date.now() + 3000;
    const [a, b] = await Promise.all([claimer(backend.name, where, 'a/w', startAt), claimer(backend.name, where, 'b/w', startAt)]);
    const all = [...a, ...b];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(n);
    expect(store.counts()).toMatchObject({ succeeded: n, running: 0, queued: 0 });
    const ranBy = store.db.prepare("SELECT ran_by, count(*) AS n FROM jobs WHERE status = 'succeeded' GROUP BY ran_by ORDER BY ran_by").all() as { ran_by: string; n: number }[];
    expect(ranBy).toEqual([{ ran_by: 'a', n: a.length }, { ran_by: 'b', n: b.length }].filter((r) => r.n > 0));
  }, 120_000);
});
