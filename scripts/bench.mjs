// `npm run bench`: every benchmark in scripts/bench/*.mjs, each in its own Node process (so one
// bench's heap, timers and watchers never colour another's numbers), the core pipeline last.
// Each prints its own table.
//
//   node --expose-gc scripts/bench.mjs [name ...]     e.g. `npm run bench -- pipeline`
//
// Exit code 1 when any bench exits non-zero.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'scripts', 'bench');
const LAST = 'pipeline';

const found = fs.readdirSync(dir).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4));
const ordered = [...found.filter((n) => n !== LAST).sort(), ...found.filter((n) => n === LAST)];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !found.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`no such bench: ${unknown.join(', ')} (have: ${ordered.join(', ')})\n`);
  process.exit(2);
}
const run = wanted.length > 0 ? ordered.filter((n) => wanted.includes(n)) : ordered;

const results = [];
for (const name of run) {
  process.stdout.write(`\n=== bench: ${name} ===\n`);
  const t = Date.now();
  const child = spawnSync(process.execPath, ['--expose-gc', path.join(dir, `${name}.mjs`)], { cwd: root, stdio: 'inherit' });
  const status = child.error ? `could not start: ${child.error.message}` : child.signal ? `killed by ${child.signal}` : child.status === 0 ? 'ok' : `exit ${child.status}`;
  results.push({ name, status, s: (Date.now() - t) / 1000 });
}

process.stdout.write('\n=== benches ===\n');
for (const r of results) process.stdout.write(`${r.name.padEnd(12)} ${r.status.padEnd(10)} ${r.s.toFixed(0)} s\n`);
process.exitCode = results.every((r) => r.status === 'ok') ? 0 : 1;
