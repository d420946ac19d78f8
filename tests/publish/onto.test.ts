/**
 * Publishing onto a file that is already there: an append is added onto the file as it is at
 * publish time, a rewrite of a file another job changed is a conflict, and two processes
 * appending at once (the publish lock) lose nothing. Real files; real child processes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { factsOf } from '../../src/publish/content.js';
import { publish } from '../../src/publish/publish.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const EMPTY = { size: 0, sha256: createHash('sha256').digest('hex') };

let dir: string;
let ledger: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-onto-'));
  ledger = path.join(dir, 'out', 'ledger.csv');
  fs.mkdirSync(path.dirname(ledger));
  fs.writeFileSync(ledger, 'name\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a job stages: the ledger as it saw it, plus its own row (or any other content). */
function stage(content: string): string {
  const p = path.join(dir, `staged-${Math.random()}`);
  fs.writeFileSync(p, content);
  return p;
}

describe('publishing onto an existing file', () => {
  it('adds each job\'s rows onto the ledger as it is then, whatever the others published meanwhile', () => {
    const base = factsOf(ledger); // both jobs read "name\n"
    const a = stage('name\nrow-a\n');
    const b = stage('name\nrow-b\nrow-b2\n');
    expect(publish([{ source: a, dest: ledger, onConflict: 'overwrite', base }]).published).toEqual([ledger]);
    expect(publish([{ source: b, dest: ledger, onConflict: 'overwrite', base }]).published).toEqual([ledger]);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('name\nrow-a\nrow-b\nrow-b2\n');
    // Appended to a ledger that did not exist yet: created by the first, added to by the second.
    const fresh = path.join(dir, 'out', 'new.csv');
    publish([{ source: stage('x\n'), dest: fresh, onConflict: 'rename', base: EMPTY }]);
    publish([{ source: stage('y\n'), dest: fresh, onConflict: 'rename', base: EMPTY }]);
    expect(fs.readFileSync(fresh, 'utf8')).toBe('x\ny\n');
    expect(fs.readdirSync(path.dirname(ledger)).sort()).toEqual(['ledger.csv', 'new.csv']);
  });

  it('refuses to replace a file another job changed since this job read it, and publishes none of the job\'s outputs', () => {
    const base = factsOf(ledger);
    publish([{ source: stage('name\nrow-a\n'), dest: ledger, onConflict: 'overwrite', base }]);
    const other = path.join(dir, 'out', 'other.txt');
    const rewrite = () => publish([
      { source: stage('other'), dest: other, onConflict: 'rename' },
      { source: stage('NAME\nrow-b\n'), dest: ledger, onConflict: 'overwrite', base },
    ]);
    expect(rewrite).toThrow(/^conflict: .*ledger\.csv was changed by another job after this job read it/);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('name\nrow-a\n');
    expect(fs.existsSync(other)).toBe(false);
    // Unchanged since it was read: the rewrite is the job's to make.
    const now = factsOf(ledger);
    publish([{ source: stage('NAME\n'), dest: ledger, onConflict: 'overwrite', base: now }]);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('NAME\n');
  });

  it('loses no row when two processes append at once (the publish lock)', async () => {
    const lock = path.join(dir, 'publish.lock');
    const script = `
      import fs from 'node:fs';
      import { publish } from ${JSON.stringify(path.join(REPO, 'dist', 'publish', 'publish.js'))};
      import { factsOf } from ${JSON.stringify(path.join(REPO, 'dist', 'publish', 'content.js'))};
      const [ledger, who, lock] = process.argv.slice(1);
      for (let i = 0; i < 150; i++) {
        const staged = ledger + '.' + who + '.' + i;
        fs.copyFileSync(ledger, staged);
        const base = factsOf(staged); // what this "job" saw: its copy, not the ledger a moment later
        fs.appendFileSync(staged, who + '-' + i + '\\n');
        publish([{ source: staged, dest: ledger, onConflict: 'overwrite', base }], { lock: lock || undefined });
      }`;
    // Without the lock (lock argument empty) this found 231 of 300 rows.
    await Promise.all(['p', 'q'].map((who) => run(process.execPath, ['--input-type=module', '-e', script, ledger, who, lock])));
    const rows = fs.readFileSync(ledger, 'utf8').trim().split('\n').slice(1);
    expect(rows.length).toBe(300);
    expect(new Set(rows).size).toBe(300);
  }, 60_000);
});
