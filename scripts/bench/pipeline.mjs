// The core pipeline's benchmark: drop-to-queued latency against the OS floor, a 10,000-file
// burst, queue throughput and idle CPU, printed as one table. Absolute times are noisy on a small
// machine, so every figure sits beside its floor or goal from the same run.
//
//   node --expose-gc scripts/bench/pipeline.mjs        (after `npm run build`; or `npm run bench`)
//
// Knobs (environment): BENCH_IDLE_S (60), BENCH_BURST_FILES (10000), BENCH_LATENCY_FILES (50),
// BENCH_GAP_MS (300), BENCH_QUEUE_N (20000), BENCH_ROUNDS (3), BENCH_RULE_CONCURRENCY (2),
// BENCH_ONLY=queue,latency,burst, BENCH_KEEP=1 keeps the temp homes, BENCH_DAEMON_ARGS adds Node
// flags to the daemon ("--cpu-prof --cpu-prof-dir=/tmp/prof"), TMPDIR moves the temp homes
// (/dev/shm takes the disk out of the numbers).
// Exit code 1 when a section fails or the burst is not queued exactly once; missed goals are
// reported as MISS (and fail the run too with BENCH_STRICT=1).
import os from 'node:os';
import { measureBurst } from './lib/burst.mjs';
import { measureLatency } from './lib/latency.mjs';
import { measureQueue } from './lib/queue.mjs';
import { mb, ms, percentile, perSecond, printTable, ratio, seconds, verdict } from './lib/table.mjs';

const startLoad = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : ['queue', 'latency', 'burst'];
const GOAL = { latencyOverFloorMs: 100, burstS: 20, burstMb: 200, jobsPerS: 2000, idlePct: 1 };

const rows = [['metric', 'dropwork', 'floor / goal', 'ratio', 'verdict']];
let broken = false;
let missed = false;
const row = (metric, value, floor, r, ok) => {
  if (ok === false) missed = true;
  rows.push([metric, value, floor, r, verdict(ok)]);
};

async function section(name, fn) {
  if (!only.includes(name)) return;
  const t = Date.now();
  process.stderr.write(`pipeline bench: ${name}...\n`);
  try {
    await fn();
  } catch (err) {
    broken = true;
    rows.push([`${name}: did not complete`, String(err?.message ?? err).split('\n')[0], '', '', 'ERROR']);
    process.stderr.write(`${err?.stack ?? err}\n`);
  }
  process.stderr.write(`pipeline bench: ${name} took ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  globalThis.gc?.();
}

await section('queue', async () => {
  const q = await measureQueue({ n: env('BENCH_QUEUE_N', 20_000), rounds: env('BENCH_ROUNDS', 3) });
  const goal = `> ${GOAL.jobsPerS.toLocaleString('en-US')}/s`;
  // Judged on the best round: the machine's capability once other people's jobs are out of the
  // way; the median beside it says how much the noise cost.
  const rate = (xs) => `${perSecond(Math.max(...xs))} (median ${perSecond(percentile(xs, 50))})`;
  const best = (xs) => Math.max(...xs);
  const rounds = `best of ${q.store.length}`;
  row(`queue: enqueue, batches of 500 (${q.n} jobs, ${rounds})`, rate(q.enqueue), '', '', undefined);
  row(`queue: Store claim + succeed, no-op (${rounds})`, rate(q.store), goal, ratio(best(q.store) / GOAL.jobsPerS), q.complete && best(q.store) > GOAL.jobsPerS);
  row(`queue: Worker, no-op execute, concurrency ${q.concurrency} (${rounds})`, rate(q.worker), goal, ratio(best(q.worker) / GOAL.jobsPerS), q.complete && best(q.worker) > GOAL.jobsPerS);
});

await section('latency', async () => {
  const l = await measureLatency({ files: env('BENCH_LATENCY_FILES', 50), gapMs: env('BENCH_GAP_MS', 300), settleMs: 200 });
  for (const p of ['p50', 'p95']) {
    const floor = Math.min(l.fsWatch[p], l.inotifywait[p]);
    const over = l.dropwork[p] - floor;
    // created_at is whole milliseconds, so dropwork's figure is too.
    row(`drop->queued ${p} (${l.dropwork.seen}/${l.files} files, minus settle ${l.settleMs} ms)`, `${l.dropwork[p]} ms`,
      `fs.watch ${ms(l.fsWatch[p])}, inotifywait ${ms(l.inotifywait[p])}; goal floor + ${GOAL.latencyOverFloorMs} ms`,
      `+${ms(over)}`, l.dropwork.seen === l.files && over <= GOAL.latencyOverFloorMs);
  }
});

await section('burst', async () => {
  const b = await measureBurst({ files: env('BENCH_BURST_FILES', 10_000), ruleConcurrency: env('BENCH_RULE_CONCURRENCY', 2), idleS: env('BENCH_IDLE_S', 60) });
  const once = b.queued === b.files && b.missing === 0 && b.dupFiles === 0 && b.dupShas === 0 && b.strangers === 0;
  if (!once) broken = true;
  row(`burst: queued exactly once (written in ${seconds(b.writeS)})`, `${b.queued}/${b.files} rows, ${b.missing} missing, ${b.dupFiles + b.dupShas} dup`,
    'all once', '', once);
  row('burst: time to queue all', seconds(b.queueS), `< ${GOAL.burstS} s`, ratio(b.queueS / GOAL.burstS), b.queueS < GOAL.burstS);
  row(`burst: queued within the first ${GOAL.burstS} s`, `${b.queuedAtGoal}/${b.files}`, '', '', undefined);
  row('burst: daemon RSS before the burst', mb(b.startRssKb), '', '', undefined);
  row('burst: daemon peak RSS once queued (VmHWM)', mb(b.hwmQueuedKb), `< ${GOAL.burstMb} MB`, ratio(b.hwmQueuedKb / 1024 / GOAL.burstMb), b.hwmQueuedKb / 1024 < GOAL.burstMb);
  row('burst: daemon peak RSS through the copies', `${mb(b.hwmKb)} (sampled ${mb(b.rssSampledKb)})`, `< ${GOAL.burstMb} MB`, ratio(b.hwmKb / 1024 / GOAL.burstMb), b.hwmKb / 1024 < GOAL.burstMb);
  row('burst: copies done while still queueing', String(b.doneWhileQueueing), '', '', undefined);
  row(`burst: copy jobs, concurrency 2 (rule: ${b.ruleConcurrency})`, `${perSecond(b.completeRate)}, all done at ${seconds(b.completeS)}`,
    `${b.succeeded} ok, ${b.failed} failed, ${b.skipped} skipped; ${b.outputs} outputs`, '', b.succeeded === b.files && b.outputs === b.files);
  row('burst: daemon CPU, queue + copies', seconds(b.cpuTotalS), `queueing alone ${seconds(b.cpuQueueS)}`, '', undefined);
  row(`idle: daemon CPU over ${b.idleS} s, ${b.inboxFiles} files in inbox`, `${b.idleCpuPct.toFixed(2)} %`, `< ${GOAL.idlePct} %`, ratio(b.idleCpuPct / GOAL.idlePct), b.idleCpuPct < GOAL.idlePct);
  row('idle: daemon RSS', mb(b.idleRssKb), '', '', undefined);
});

const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
process.stdout.write(`\ndropwork core pipeline (${os.cpus().length} CPUs, load average now ${load}; at start ${startLoad})\n`);
printTable(rows);
process.exitCode = broken || (missed && process.env.BENCH_STRICT === '1') ? 1 : 0;
