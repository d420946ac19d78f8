// A team on PostgreSQL, side by side with one machine's SQLite file, in one run:
//   1. claims per second: 1, 2 and 4 worker processes claiming and succeeding no-op jobs from one
//      queue (20,000 jobs), on SQLite and on a throwaway PostgreSQL cluster on this machine;
//   2. drop on a collecting host -> job start on a working host (two real daemons), p50/p95.
//
//   node scripts/bench/team.mjs [jobs=20000] [drops=100]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../../dist/queue/open.js';
import { ROOT, sleep } from './lib/daemon.mjs';
import { startCluster } from '../../tests/support/postgres.ts';

const JOBS = Number(process.argv[2] ?? 20_000);
const DROPS = Number(process.argv[3] ?? 100);
const cluster = await startCluster();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-bench-team-'));

function fill(where) {
  const postgres = where.startsWith('postgres');
  const store = openStore({ dbFile: where, configFile: '' }, { database: postgres ? where : '', host_name: 'bench', lease_seconds: 60 });
  for (let i = 0; i < JOBS; i += 1000) {
    store.enqueueMany(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ rule: 'r', file: `/in/${i + k}`, sha256: `s${i + k}`, trigger: 'watch', dedupe: true })));
  }
  store.close();
}

async function claims(where, processes) {
  const kids = Array.from({ length: processes }, (_, i) => spawn(process.execPath, [path.join(ROOT, 'scripts/bench/lib/team-claimer.mjs'), where, `w${i}`], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const said = kids.map((k) => {
    let out = '';
    k.stdout.on('data', (d) => { out += d; });
    return () => out;
  });
  while (!said.every((s) => s().includes('ready'))) await sleep(20);
  const t = performance.now();
  for (const k of kids) k.stdin.write('go\n');
  await Promise.all(kids.map((k) => new Promise((r) => k.once('exit', r))));
  const s = (performance.now() - t) / 1000;
  const done = said.reduce((n, f) => n + Number(/done (\d+)/.exec(f())?.[1] ?? 0), 0);
  if (done !== JOBS) throw new Error(`claimed ${done} of ${JOBS}`);
  return JOBS / s;
}

const rows = [];
for (const n of [1, 2, 4]) {
  const file = path.join(tmp, `claims-${n}.db`);
  fill(file);
  const sqlite = await claims(file, n);
  const url = cluster.database();
  fill(url);
  const postgres = await claims(url, n);
  rows.push({ n, sqlite, postgres });
}
process.stdout.write(`\nclaim + succeed, no-op jobs (${JOBS.toLocaleString('en')} jobs, processes claiming from one queue):\n`);
process.stdout.write('| workers | SQLite (one file) | PostgreSQL (this machine) |\n|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.n} | ${Math.round(r.sqlite).toLocaleString('en')}/s | ${Math.round(r.postgres).toLocaleString('en')}/s |\n`);

// Drop -> start across hosts: a collecting daemon and a working daemon, files dropped one by one.
const url = cluster.database();
const inbox = path.join(tmp, 'inbox');
fs.mkdirSync(inbox);
const SETTLE = 200;
const homes = ['collect', 'work'].map((role) => {
  const home = path.join(tmp, role);
  fs.mkdirSync(path.join(home, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(home, 'config.yaml'), `database: ${url}\nrole: ${role}\nhost_name: bench-${role}\nsettle_ms: ${SETTLE}\n`);
  fs.writeFileSync(path.join(home, 'rules', 'copy.yaml'), `name: copy\nwatch: ${inbox}\noutput: ${path.join(tmp, 'outputs')}\nactions:\n  - copy: "."\n`);
  return home;
});
const daemons = homes.map((home) => spawn(process.execPath, [path.join(ROOT, 'bin/dropwork.js'), 'start'], {
  env: { ...process.env, DROPWORK_HOME: home, HOME: home, DROPWORK_NOTIFY: 'off', DROPWORK_PORT: '0' }, stdio: 'ignore',
}));
const db = new pg.Client({ connectionString: url });
await db.connect();
for (;;) {
  const up = await db.query("SELECT count(*) AS n FROM dropwork.hosts WHERE heartbeat_at > $1", [Date.now() - 5000]).catch(() => ({ rows: [{ n: 0 }] }));
  if (Number(up.rows[0].n) === 2) break;
  await sleep(200);
}
const droppedAt = new Map();
for (let i = 0; i < DROPS; i++) {
  const name = `d${i}.txt`;
  droppedAt.set(path.join(inbox, name), Date.now());
  fs.writeFileSync(path.join(inbox, name), `drop ${i}\n`);
  await sleep(300);
}
for (;;) {
  const r = await db.query("SELECT count(*) AS n FROM dropwork.jobs WHERE started_at IS NOT NULL");
  if (Number(r.rows[0].n) >= DROPS) break;
  await sleep(200);
}
const started = (await db.query('SELECT file, started_at FROM dropwork.jobs')).rows;
await db.end();
for (const d of daemons) d.kill('SIGTERM');
await Promise.all(daemons.map((d) => new Promise((r) => d.once('exit', r))));
const lat = started.map((r) => Number(r.started_at) - droppedAt.get(r.file)).sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
process.stdout.write(`\ndrop on the collecting host -> job started on the working host (${DROPS} files, one every 300 ms, settle_ms ${SETTLE}):\n`);
process.stdout.write(`p50 ${pct(50)} ms, p95 ${pct(95)} ms (over the settle window: +${pct(50) - SETTLE} / +${pct(95) - SETTLE} ms)\n`);
cluster.close();
fs.rmSync(tmp, { recursive: true, force: true });
