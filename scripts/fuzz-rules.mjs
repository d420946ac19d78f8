// Fuzz the rule and config loaders: mutated copies of the example rules and config (byte flips,
// deleted and doubled lines, inserted * & ! tabs colons unicode, truncation, deep nesting, alias
// bombs, invalid UTF-8) through the loaders that `rules check`, `doctor` and the daemon use.
//
//   node scripts/fuzz-rules.mjs [COUNT=5000] [SEED=1]      (after `npm run build`)
//
// FUZZ_DIST=/other/checkout/dist runs the same files against another build (before and after).
// Prints files tried, crashes (a loader threw), unlocated errors (a message without a real
// FILE:LINE:COL), and lost canaries (a plain rule beside the bad file stopped loading); the exit
// code is 1 when any of those is not 0. The running-daemon half is tests/rules/fuzz-daemon.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzInProcess } from './fuzz/fuzz.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.env.FUZZ_DIST ?? path.join(repo, 'dist'));
const { RuleSet } = await import(path.join(dist, 'rules', 'registry.js'));
const { loadConfig } = await import(path.join(dist, 'config.js'));

const count = Number(process.argv[2] ?? 5000);
const seed = Number(process.argv[3] ?? 1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-fuzz-'));
const started = Date.now();
const report = fuzzInProcess({
  count,
  seed,
  dir,
  repo,
  loaders: { ruleSet: (d, home) => new RuleSet(d, home), loadConfig },
});
fs.rmSync(dir, { recursive: true, force: true });

const show = (label, list, fmt) => {
  process.stdout.write(`${label}: ${list.length}\n`);
  for (const x of list.slice(0, 10)) process.stdout.write(`  #${x.index} [${x.mutations.join(', ')}] ${fmt(x)}\n`);
};
process.stdout.write(`seed ${seed}: ${report.tried} files tried in ${((Date.now() - started) / 1000).toFixed(1)} s (slowest ${report.slowestMs.toFixed(0)} ms), ${report.withErrors} with errors\n`);
show('crashes', report.crashes, (x) => x.error);
show('unlocated errors', report.unlocated, (x) => x.message);
show('lost canaries', report.lostCanary, () => 'the plain rule beside this file stopped loading');
process.exit(report.crashes.length + report.unlocated.length + report.lostCanary.length === 0 ? 0 : 1);
