/** A running job's step log: written with the commit that ends the job, or after a while on its own. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PendingSteps } from '../../src/queue/step-log.js';
import { Store } from '../../src/queue/store.js';
import { waitFor } from '../support/home.js';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-steplog-'));
  store = new Store(path.join(dir, 'db'));
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function aJob(): number {
  const row = store.enqueue({ rule: 'r', file: '/f', sha256: 'x', trigger: 'watch', dedupe: false });
  if (!row) throw new Error('no job');
  return row.id;
}

describe('PendingSteps', () => {
  it('keeps lines until the job commits, then writes them in order inside that transaction', () => {
    const id = aJob();
    const steps = new PendingSteps(store, id, 60_000);
    steps.add('started', 'attempt 1');
    steps.add('step', 'copy: out', { n: 1 });
    expect(store.logs(id)).toEqual([]);
    // A transaction that rolls back takes the lines with it: they are part of that commit.
    expect(() => store.db.transaction(() => { steps.write(); throw new Error('rolled back'); })()).toThrow('rolled back');
    expect(store.logs(id)).toEqual([]);
    steps.add('started', 'attempt 1 again');
    store.db.transaction(() => steps.write())();
    expect(store.logs(id).map((e) => [e.kind, e.message, e.data])).toEqual([['started', 'attempt 1 again', null]]);
  });

  it('writes the lines of a job still running after the flush interval on their own', async () => {
    const id = aJob();
    const steps = new PendingSteps(store, id, 50);
    steps.add('tool_call', 'read_file a.pdf', { path: 'a.pdf' });
    steps.add('tool_result', 'ok');
    await waitFor(() => store.logs(id).length === 2, 5000);
    expect(store.logs(id).map((e) => e.kind)).toEqual(['tool_call', 'tool_result']);
    expect(JSON.parse(store.logs(id)[0]?.data ?? 'null')).toEqual({ path: 'a.pdf' });
    steps.flush(); // nothing pending: no second copy
    expect(store.logs(id)).toHaveLength(2);
  });
});
