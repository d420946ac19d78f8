// kill -9 loop: N cycles, each dropping a burst of files into a running daemon and killing it
// with SIGKILL at a random moment while it works, then starting it again. At the end every
// dropped file must have exactly one job, succeeded, and exactly one output, byte-identical to
// it; no temporary file may be left in the outputs folder.
//
//   node scripts/soak/kill-loop.mjs [cycles=20] [files=1000]
//
// Prints the figures and exits 1 when anything was lost, duplicated or half-written.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeHome, removeHome, sleep, startDaemon } from '../bench/lib/daemon.mjs';

const cycles = Number(process.argv[2] ?? 20);
const perCycle = Number(process.argv[3] ?? 1000);
const home = makeHome('killloop', {
  config: 'settle_ms: 200\nconcurrency: 4\nrescan_minutes: 1\n',
  rule: 'name: killloop\nwatch: inbox\noutput: outputs\nactions:\n  - copy: "."\n',
});
const inbox = path.join(home, 'inbox');
const outputs = path.join(home, 'outputs');
fs.mkdirSync(inbox, { recursive: true });
const sha = (buf) => createHash('sha256').update(buf).digest('hex');

const dropped = new Map(); // name -> sha256
const kills = [];
let daemon = await startDaemon(home);
for (let c = 0; c < cycles; c++) {
  for (let i = 0; i < perCycle; i++) {
    const name = `c${String(c).padStart(2, '0')}-f${String(i).padStart(4, '0')}.txt`;
    // Sizes from a few bytes to ~200 KB, so some copies are caught half-way.
    const body = Buffer.alloc(((c * 7919 + i * 104729) % 200_000) + 16, `${name}\n`);
    fs.writeFileSync(path.join(inbox, name), body);
    dropped.set(name, sha(body));
  }
  const wait = 300 + Math.floor(Math.random() * 2500);
  await sleep(wait);
  const done = daemon.db.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'succeeded'").get().n;
  process.kill(daemon.pid, 'SIGKILL');
  await sleep(200);
  kills.push({ cycle: c, afterMs: wait, succeededSoFar: done });
  daemon.db.close();
  daemon = await startDaemon(home);
}
// Let the last start finish everything.
const deadline = Date.now() + 600_000;
for (;;) {
  const open = daemon.db.prepare("SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')").get().n;
  const seen = daemon.db.prepare('SELECT count(DISTINCT file) AS n FROM jobs').get().n;
  if (open === 0 && seen >= dropped.size) break;
  if (Date.now() > deadline) break;
  await sleep(1000);
}
const jobs = daemon.db.prepare('SELECT file, status, reason FROM jobs').all();
await daemon.stop();

const byFile = new Map();
for (const j of jobs) {
  const name = path.basename(j.file ?? '');
  byFile.set(name, [...(byFile.get(name) ?? []), j]);
}
let lost = 0, duplicated = 0, notDone = 0, half = 0, missingOutput = 0;
const outputsFound = new Set(fs.readdirSync(outputs));
for (const [name, hash] of dropped) {
  const js = byFile.get(name) ?? [];
  if (js.length === 0) lost++;
  if (js.filter((j) => j.status === 'succeeded').length > 1) duplicated++;
  if (!js.some((j) => j.status === 'succeeded')) notDone++;
  const out = path.join(outputs, name);
  if (!fs.existsSync(out)) missingOutput++;
  else if (sha(fs.readFileSync(out)) !== hash) half++;
}
const extra = [...outputsFound].filter((n) => !dropped.has(n));
const temps = extra.filter((n) => n.startsWith('.dropwork-'));
const numbered = extra.filter((n) => / \(\d+\)/.test(n));
const lines = [
  `kill -9 loop: ${cycles} cycles of ${perCycle} files (${dropped.size} files), SIGKILL 0.3-2.8 s into each burst`,
  `  killed with ${kills.map((k) => k.succeededSoFar).join(', ')} jobs done so far`,
  `  files without a job (lost): ${lost}`,
  `  files with more than one succeeded job (duplicated): ${duplicated}`,
  `  files whose job did not succeed: ${notDone}`,
  `  outputs missing: ${missingOutput}; outputs not byte-identical (half): ${half}`,
  `  extra files in outputs: ${extra.length} (temporary: ${temps.length}, numbered duplicates: ${numbered.length})`,
];
process.stdout.write(lines.join('\n') + '\n');
removeHome(home);
process.exitCode = lost + duplicated + notDone + half + missingOutput + extra.length === 0 ? 0 : 1;
