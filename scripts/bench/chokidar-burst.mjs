// How many files of a burst get no `add` event from chokidar: 3,000 files written at once into
// a folder that already holds 20,000, watched the way src/watch/watcher.ts watches an inbox, with
// each event costing the watching process some synchronous work as the daemon's does (an lstat
// and a hash of the name here). chokidar 5.0.0 lost 399-649 of the 3,000 this way (a re-read of
// the folder dropped by its 1 s throttle); chokidar 6.0.0 lost 0 of 15,000 in five runs. But
// `node scripts/bench/chokidar-burst.mjs 1 0 10000` (10,000 into an empty folder) lost 1,808:
// so src/watch/watcher.ts keeps its per-burst sweep.
// Usage: node scripts/bench/chokidar-burst.mjs [runs] [existing] [burst]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watch } from 'chokidar';

const runs = Number(process.argv[2] ?? 3);
const existing = Number(process.argv[3] ?? 20_000);
const burst = Number(process.argv[4] ?? 3000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const version = JSON.parse(fs.readFileSync(new URL('../../node_modules/chokidar/package.json', import.meta.url), 'utf8')).version;

async function once(run) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-chokidar-'));
  for (let i = 0; i < existing; i++) fs.writeFileSync(path.join(dir, `old-${String(i).padStart(5, '0')}.txt`), `old ${i}\n`);
  const added = new Set();
  let lastEvent = Date.now();
  const w = watch(dir, { persistent: true, ignoreInitial: false, followSymlinks: false, alwaysStat: true, depth: 0, backend: 'native' });
  w.on('add', (p) => {
    added.add(path.basename(p));
    lastEvent = Date.now();
    // The daemon's work per event: an lstat and some hashing, on the event loop.
    fs.lstatSync(p);
    createHash('sha256').update(p.repeat(200)).digest();
  });
  await new Promise((r) => w.once('ready', r));
  const t0 = Date.now();
  for (let i = 0; i < burst; i++) fs.writeFileSync(path.join(dir, `new-${String(i).padStart(5, '0')}.txt`), `new ${i}\n`);
  const writeS = (Date.now() - t0) / 1000;
  // Quiet for 10 s: chokidar has nothing more to say about this burst.
  while (Date.now() - lastEvent < 10_000) await sleep(500);
  let missing = 0;
  for (let i = 0; i < burst; i++) if (!added.has(`new-${String(i).padStart(5, '0')}.txt`)) missing++;
  const oldSeen = [...added].filter((n) => n.startsWith('old-')).length;
  await w.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { run, missing, oldSeen, writeS, eventsS: (lastEvent - t0) / 1000 };
}

console.log(`chokidar ${version}, node ${process.version}: ${burst} files into a folder of ${existing}, ${runs} run(s)`);
console.log('run  no add event  initial adds  write s  last event s');
const results = [];
for (let r = 1; r <= runs; r++) {
  const x = await once(r);
  results.push(x);
  console.log(`${String(r).padStart(3)}  ${String(x.missing).padStart(12)}  ${String(x.oldSeen).padStart(12)}  ${x.writeS.toFixed(2).padStart(7)}  ${x.eventsS.toFixed(2).padStart(12)}`);
}
console.log(`missing in total: ${results.reduce((a, x) => a + x.missing, 0)} of ${runs * burst}`);
