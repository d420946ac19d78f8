// Drop-to-queued latency: files written one at a time into a running daemon's inbox, with a bare
// fs.watch and inotifywait on the same folder in the same run as the floor.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeHome, removeHome, sleep, startDaemon } from './daemon.mjs';
import { percentile } from './table.mjs';

/** Starts inotifywait on `folder`; resolves once its watch is in place. */
function startInotifywait(folder, seen) {
  const child = spawn('inotifywait', ['-m', '-e', 'create', '--format', '%f', folder], { stdio: ['ignore', 'pipe', 'pipe'] });
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    const now = performance.now();
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const name of lines) if (!seen.has(name)) seen.set(name, now);
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.once('error', (e) => reject(new Error(`inotifywait could not start (${e.message}); apt-get install -y inotify-tools`)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      err += chunk;
      if (err.includes('Watches established')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`inotifywait exited (${code}): ${err}`)));
  });
}

/**
 * Returns per-file samples in ms: dropwork's (job created_at minus the write, minus settle_ms),
 * bare fs.watch's and inotifywait's (event received minus the write).
 */
export async function measureLatency({ files = 50, gapMs = 300, settleMs = 200 } = {}) {
  const inbox = 'inbox/latency';
  const home = makeHome('latency', {
    config: `settle_ms: ${settleMs}\nnotify: false\n`,
    rule: `name: latency\nwatch: inbox/latency\noutput: outputs/latency\nactions:\n  - copy: out\n`,
  });
  const folder = path.join(home, inbox);
  fs.mkdirSync(folder, { recursive: true });
  const daemon = await startDaemon(home);
  const byFsWatch = new Map();
  const byInotify = new Map();
  const watcher = fs.watch(folder, (_event, name) => {
    const now = performance.now();
    if (name && !byFsWatch.has(name)) byFsWatch.set(name, now);
  });
  let inotify;
  try {
    inotify = await startInotifywait(folder, byInotify);
    await sleep(500);
    const written = new Map();
    for (let i = 0; i < files; i++) {
      const name = `drop-${String(i).padStart(3, '0')}.txt`;
      fs.writeFileSync(path.join(folder, name), `latency sample ${i} ${randomBytes(8).toString('hex')}\n`);
      // Taken once the file is complete: what the user would call "dropped".
      written.set(name, { epoch: Date.now(), hr: performance.now() });
      await sleep(gapMs);
    }
    const rows = await waitForJobs(daemon.db, 'latency', files, settleMs + 10_000);
    const queuedAt = new Map(rows.map((r) => [path.basename(r.file), r.created_at]));
    const samples = { dropwork: [], fsWatch: [], inotifywait: [] };
    for (const [name, t] of written) {
      samples.dropwork.push((queuedAt.get(name) ?? NaN) - t.epoch - settleMs);
      samples.fsWatch.push((byFsWatch.get(name) ?? NaN) - t.hr);
      samples.inotifywait.push((byInotify.get(name) ?? NaN) - t.hr);
    }
    const summary = (xs) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), seen: xs.filter(Number.isFinite).length });
    return {
      files,
      settleMs,
      dropwork: summary(samples.dropwork),
      fsWatch: summary(samples.fsWatch),
      inotifywait: summary(samples.inotifywait),
    };
  } finally {
    watcher.close();
    inotify?.kill();
    await daemon.stop();
    removeHome(home);
  }
}

/** Polls the daemon's database until `count` jobs of `rule` exist, or the time is up. */
async function waitForJobs(db, rule, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const query = db.prepare('SELECT file, created_at FROM jobs WHERE rule = ?');
  for (;;) {
    const rows = query.all(rule);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await sleep(100);
  }
}
