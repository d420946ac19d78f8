import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publish, removeLeftoverTemps } from '../../src/publish/publish.js';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-publish-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function staged(name: string, content: string): string {
  const p = path.join(dir, 'staging', `${name}-${Math.random()}`);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

describe('publishing outputs', () => {
  it('renames on conflict as "name (1).ext", skips, or overwrites, as the rule says', () => {
    const dest = path.join(dir, 'out', 'deep', 'report.pdf');
    expect(publish([{ source: staged('a', 'one'), dest, onConflict: 'rename' }]).published).toEqual([dest]);
    const second = publish([{ source: staged('b', 'two'), dest, onConflict: 'rename' }]);
    expect(second.published).toEqual([path.join(dir, 'out', 'deep', 'report (1).pdf')]);
    const third = publish([{ source: staged('c', 'three'), dest, onConflict: 'rename' }]);
    expect(third.published).toEqual([path.join(dir, 'out', 'deep', 'report (2).pdf')]);
    expect(publish([{ source: staged('d', 'four'), dest, onConflict: 'skip' }])).toEqual({ published: [], skipped: [dest] });
    expect(fs.readFileSync(dest, 'utf8')).toBe('one');
    publish([{ source: staged('e', 'five'), dest, onConflict: 'overwrite' }]);
    expect(fs.readFileSync(dest, 'utf8')).toBe('five');
    expect(fs.readdirSync(path.dirname(dest)).sort()).toEqual(['report (1).pdf', 'report (2).pdf', 'report.pdf']);
  });

  it('does not add a duplicate when the very same content is already there', () => {
    const dest = path.join(dir, 'out', 'a.txt');
    publish([{ source: staged('a', 'same'), dest, onConflict: 'rename' }]);
    expect(publish([{ source: staged('b', 'same'), dest, onConflict: 'rename' }]).published).toEqual([dest]);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['a.txt']);
  });

  it('leaves no temporary files behind, and clears those a crash left', () => {
    const out = path.join(dir, 'out');
    publish([{ source: staged('a', 'x'), dest: path.join(out, 'x.txt'), onConflict: 'rename' }]);
    expect(fs.readdirSync(out)).toEqual(['x.txt']);
    fs.writeFileSync(path.join(out, '.dropwork-abc123abc123.tmp'), 'half');
    fs.mkdirSync(path.join(out, 'sub'));
    fs.writeFileSync(path.join(out, 'sub', '.dropwork-def456def456.tmp'), 'half');
    expect(removeLeftoverTemps(out)).toBe(2);
    expect(fs.readdirSync(out).sort()).toEqual(['sub', 'x.txt']);
  });
});
