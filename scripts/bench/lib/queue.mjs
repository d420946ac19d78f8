// Queue throughput with a no-op step, in this process against a real SQLite file: the Store's own
// claim + complete loop (the floor), then the real Worker with an execute that resolves at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from './daemon.mjs';

const dist = (p) => import(path.join(ROOT, 'dist', p));

// The files are in the rule's inbox: a worker runs only a file there or one that travelled with its job.
function jobs(n, rule, salt, inbox = '/bench/inbox') {
  return Array.from({ length: n }, (_, i) => ({
    rule,
    file: path.join(inbox, `f${i}.txt`),
    sha256: `${salt}-${i}`,
    trigger: 'watch',
    dedupe: true,
    payload: { size: 12, mtimeMs: 0, birthtimeMs: 0 },
  }));
}

/** Enqueues in batches of 500, as the intake does; returns jobs/s. */
function fill(store, list) {
  const t = performance.now();
  for (let i = 0; i < list.length; i += 500) store.enqueueMany(list.slice(i, i + 500));
  return list.length / ((performance.now() - t) / 1000);
}

/**
 * `rounds` rounds of each, on fresh files: on a shared 2-core machine one round can land on
 * someone else's compile, so the caller gets every rate and picks median and best.
 */
export async function measureQueue({ n = 20_000, concurrency = 2, rounds = 3 } = {}) {
  const mods = {
    ...(await dist('queue/store.js')),
    ...(await dist('queue/worker.js')),
    ...(await dist('events.js')),
    ...(await dist('log.js')),
    ...(await dist('paths.js')),
    ...(await dist('config.js')),
    ...(await dist('rules/load.js')),
  };
  const result = { n, concurrency, enqueue: [], store: [], worker: [], complete: true };
  for (let r = 0; r < rounds; r++) {
    const one = await round(mods, n, concurrency);
    result.enqueue.push(one.enqueueRate);
    result.store.push(one.storeRate);
    result.worker.push(one.workerRate);
    result.complete &&= one.storeDone === n && one.workerSucceeded === n;
    globalThis.gc?.();
  }
  return result;
}

async function round({ Store, Worker, Events, createLogger, resolvePaths, defaults, loadRuleFile }, n, concurrency) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-bench-queue-'));
  const paths = resolvePaths({ DROPWORK_HOME: home, HOME: home });
  fs.mkdirSync(paths.jobsDir, { recursive: true });
  const result = {};
  try {
    // 1. The Store alone: claim, then move to succeeded — the two statements a job costs.
    let store = new Store(path.join(home, 'store.db'));
    result.enqueueRate = fill(store, jobs(n, 'noop', 'store'));
    const worker = 'bench';
    let done = 0;
    const t = performance.now();
    for (let job = store.claim(worker); job; job = store.claim(worker)) {
      if (store.move(job.id, 'succeeded', { outputs: '[]' }, { worker, from: ['running'] })) done++;
    }
    result.storeRate = done / ((performance.now() - t) / 1000);
    result.storeDone = done;
    store.close();

    // 2. The real Worker, with everything it does around a job (step log, events, the log file,
    //    the workdir) and an execute step that does nothing.
    store = new Store(paths.dbFile);
    const ruleFile = path.join(home, 'noop.yaml');
    fs.writeFileSync(ruleFile, `name: noop\nwatch: inbox\noutput: outputs\nconcurrency: ${concurrency}\nactions:\n  - copy: out\n`);
    const { rules: [rule] } = loadRuleFile(ruleFile, home);
    fill(store, jobs(n, 'noop', 'worker', path.join(home, 'inbox')));
    const events = new Events();
    let finished = 0;
    let allDone;
    const over = new Promise((resolve) => { allDone = resolve; });
    for (const e of ['job:succeeded', 'job:failed', 'job:skipped']) {
      events.on(e, () => { if (++finished === n) allDone(); });
    }
    const w = new Worker({
      store,
      config: () => ({ ...defaults, concurrency }),
      rules: () => new Map([[rule.name, rule]]),
      paths,
      events,
      log: createLogger({ dir: paths.logsDir, level: 'info' }),
      execute: async () => ({ status: 'succeeded', outputs: [] }),
    });
    const t2 = performance.now();
    w.start();
    await over;
    result.workerRate = finished / ((performance.now() - t2) / 1000);
    result.workerSucceeded = store.counts().succeeded;
    await w.stop(0);
    store.close();
    return result;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
