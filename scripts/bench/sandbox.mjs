// Per-command overhead of the sandbox backends, side by side in one run: a trivial command
// (`true`) as a bare spawn on the host, through bubblewrap, through a warm Docker container
// (its runner, see src/sandbox/runner.ts), and through a cold one (create + start + first
// command). Medians of N each.
//
//   node scripts/bench/sandbox.mjs          (after `npm run build`; or `npm run bench -- sandbox`)
//
// Knobs (environment): BENCH_SANDBOX_N (20), SANDBOX_DIST (the compiled src, default dist/).
// Goals (issue 4): warm exec within 60 ms of a bare spawn; cold start under 600 ms.
// Exit code 1 when a backend cannot run; a missed goal is MISS (and fails with BENCH_STRICT=1).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ms, percentile, printTable, verdict } from './lib/table.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.resolve(process.env.SANDBOX_DIST ?? path.join(root, 'dist'));
const N = Number(process.env.BENCH_SANDBOX_N ?? 20);
const GOAL = { warmOverBareMs: 60, coldMs: 600 };

const load = (file) => import(path.join(dist, 'sandbox', file));
const [{ connectDocker }, { DockerBackend }, { imageStatus }, { defaultLimits }, { BubblewrapBackend, probeBubblewrap }] = await Promise.all(
  ['container.js', 'docker.js', 'image.js', 'limits.js', 'bubblewrap.js'].map(load),
);

function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-bench-'));
  for (const d of ['input', 'output']) fs.mkdirSync(path.join(dir, d));
  return { root: dir, input: path.join(dir, 'input'), output: path.join(dir, 'output') };
}

async function timeEach(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return samples;
}

async function checked(sandbox) {
  const r = await sandbox.run('true');
  if (r.exitCode !== 0) throw new Error(`${sandbox.kind}: \`true\` exited ${r.exitCode}: ${r.stderr || r.failure}`);
}

const bareSpawn = () => new Promise((resolve, reject) => {
  const child = spawn('sh', ['-c', 'true'], { stdio: 'ignore' });
  child.on('error', reject).on('close', resolve);
});

const results = {};
let broken = false;
const ws = workspace();
const opts = (jobId) => ({ jobId, workspace: ws, network: false, limits: defaultLimits });

try {
  await bareSpawn(); // warm the page cache for sh
  results.bare = await timeEach(N, bareSpawn);

  const probe = await probeBubblewrap();
  if (probe.ok) {
    const sandbox = await new BubblewrapBackend(probe.features).open(opts('bench-bwrap'));
    await checked(sandbox);
    results.bwrap = await timeEach(N, () => checked(sandbox));
    await sandbox.close();
  } else {
    broken = true;
    process.stderr.write(`sandbox bench: bubblewrap: ${probe.why}\n`);
  }

  const docker = await connectDocker();
  const image = await imageStatus(docker);
  if (image.state !== 'present') throw new Error(image.message);
  const backend = new DockerBackend(docker, image, `dropwork-bench-${process.pid}`);
  // Cold: the job's first command, which creates and starts the container. Removal is not
  // timed: it happens after the job, off its critical path.
  results.cold = [];
  for (let i = 0; i < N; i++) {
    const sandbox = await backend.open(opts(`bench-cold-${i}`));
    const t = performance.now();
    await checked(sandbox);
    results.cold.push(performance.now() - t);
    await sandbox.close();
  }
  const warm = await backend.open(opts('bench-warm'));
  await checked(warm);
  results.warm = await timeEach(N, () => checked(warm));
  await warm.close();
} catch (err) {
  broken = true;
  process.stderr.write(`${err?.stack ?? err}\n`);
} finally {
  fs.rmSync(ws.root, { recursive: true, force: true });
}

const med = (k) => percentile(results[k] ?? [], 50);
const p95 = (k) => percentile(results[k] ?? [], 95);
const bare = med('bare');
const over = (v) => (v >= bare ? `+${ms(v - bare)}` : `-${ms(bare - v)}`);
const rows = [['`true`, median of ' + N, 'median', 'p95', 'over bare spawn', 'goal', 'verdict']];
rows.push(['bare spawn on the host (sh -c true)', ms(bare), ms(p95('bare')), '', '', 'info']);
rows.push(['bubblewrap (fresh namespaces each)', ms(med('bwrap')), ms(p95('bwrap')), over(med('bwrap')), '', 'info']);
rows.push(['docker warm (a command in the job container)', ms(med('warm')), ms(p95('warm')), over(med('warm')),
  `<= bare + ${GOAL.warmOverBareMs} ms`, verdict(results.warm ? med('warm') - bare <= GOAL.warmOverBareMs : undefined)]);
rows.push(['docker cold (create + start + first command)', ms(med('cold')), ms(p95('cold')), over(med('cold')),
  `< ${GOAL.coldMs} ms`, verdict(results.cold ? med('cold') < GOAL.coldMs : undefined)]);
printTable(rows);

const missed = rows.slice(1).some((r) => r[5] === 'MISS');
process.exitCode = broken || (missed && process.env.BENCH_STRICT === '1') ? 1 : 0;
