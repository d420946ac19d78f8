// Undo: what the journal costs and how fast a revert is, on real files and a real history.
//  - 1,000 jobs appending one row each to one ledger: disk used by undo (kept versions + journal
//    rows), against the ledger's own size.
//  - 1,000 jobs each creating a file and replacing a small config file: disk used.
//  - reverting 1,000 jobs at once (newest first, with --cascade over the shared ledger).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../dist/queue/store.js';
import { Blobs } from '../../dist/undo/blobs.js';
import { Journal, saveJournal } from '../../dist/undo/journal.js';
import { revertJobs } from '../../dist/undo/revert.js';
import { printTable, seconds } from './lib/table.mjs';

const N = Number(process.env.BENCH_UNDO_JOBS ?? 1000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-bench-undo-'));
const out = path.join(root, 'outputs');
fs.mkdirSync(out);
const store = new Store(path.join(root, 'dropwork.db'));
const blobs = new Blobs(path.join(root, 'undo', 'blobs'));
const sha = (b) => createHash('sha256').update(b).digest('hex');

function job(fn) {
  const row = store.enqueue({ rule: 'bench', file: null, sha256: null, trigger: 'manual', dedupe: false });
  store.claim('bench');
  const journal = new Journal(blobs);
  fn(journal);
  store.db.transaction(() => {
    store.move(row.id, 'succeeded', {}, { worker: 'bench', from: ['running'] });
    saveJournal(store.db, row.id, journal.changes);
  })();
  return row.id;
}

function undoBytes() {
  const dir = blobs.dir;
  let blobBytes = 0;
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir, { recursive: true })) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) blobBytes += fs.statSync(p).size;
  }
  const rows = store.db.prepare('SELECT count(*) AS n, coalesce(sum(length(path) + length(sha256) + coalesce(length(prev_sha256), 0) + 40), 0) AS bytes FROM undo_journal').get();
  return { blobBytes, journalBytes: rows.bytes, rows: rows.n };
}

// 1. A ledger, one row appended per job.
const ledger = path.join(out, 'receipts.csv');
fs.writeFileSync(ledger, 'date,vendor,total,currency\n');
const ledgerStart = fs.readFileSync(ledger);
for (let i = 0; i < N; i++) {
  job((j) => {
    const before = fs.readFileSync(ledger);
    fs.appendFileSync(ledger, `2026-11-${String((i % 28) + 1).padStart(2, '0')},Vendor ${i},${(i * 1.37).toFixed(2)},EUR\n`);
    j.appended(ledger, { sha256: sha(before), size: before.length });
  });
}
const appends = undoBytes();
const ledgerSize = fs.statSync(ledger).size;

// 2. Each job creates a file and replaces a settings file (its earlier version kept by content).
const settings = path.join(out, 'settings.json');
fs.writeFileSync(settings, JSON.stringify({ version: 0 }));
for (let i = 0; i < N; i++) {
  job((j) => {
    const f = path.join(out, 'files', `f${i}.txt`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, `file ${i}\n`);
    j.wrote(f);
    const before = j.keepBefore(settings);
    fs.writeFileSync(`${settings}.tmp`, JSON.stringify({ version: i % 10 }));
    fs.renameSync(`${settings}.tmp`, settings);
    j.wrote(settings, before);
  });
}
const both = undoBytes();

// 3. Revert the 1,000 ledger jobs (one request, cascade), then the other 1,000.

let t = performance.now();
const r1 = revertJobs(store, blobs, { jobs: [1], cascade: true, dryRun: false, by: 'bench' });
const revertLedger = (performance.now() - t) / 1000;
t = performance.now();
const r2 = revertJobs(store, blobs, { jobs: Array.from({ length: N }, (_, i) => N + i + 1), cascade: true, dryRun: false, by: 'bench' });
const revertFiles = (performance.now() - t) / 1000;
const exact = fs.readFileSync(ledger).equals(ledgerStart) && !fs.existsSync(path.join(out, 'files', 'f0.txt')) && JSON.parse(fs.readFileSync(settings, 'utf8')).version === 0;

printTable([
  ['what', 'figure', 'note'],
  [`undo disk for ${N} ledger appends`, `${appends.blobBytes} B kept + ~${(appends.journalBytes / 1024).toFixed(0)} KiB journal`, `${appends.rows} rows; ledger itself ${(ledgerSize / 1024).toFixed(0)} KiB`],
  [`undo disk for ${N} create+replace jobs`, `${both.blobBytes - appends.blobBytes} B kept + ~${((both.journalBytes - appends.journalBytes) / 1024).toFixed(0)} KiB journal`, '10 distinct settings versions, kept once each'],
  [`revert ${N} ledger-append jobs (cascade)`, seconds(revertLedger), `${r1.ok ? r1.reverted.length : 'refused'} reverted, ${(revertLedger * 1000 / N).toFixed(2)} ms/job`],
  [`revert ${N} create+replace jobs`, seconds(revertFiles), `${r2.ok ? r2.reverted.length : 'refused'} reverted, ${(revertFiles * 1000 / N).toFixed(2)} ms/job`],
  ['every file back to its first bytes', exact ? 'yes' : 'NO', ''],
]);

store.close();
fs.rmSync(root, { recursive: true, force: true });
if (!exact || !r1.ok || !r2.ok) process.exitCode = 1;
