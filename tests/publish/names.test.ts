/**
 * The names and sizes publishing must get exactly right: exactly-once at any size (a retry after
 * a crash finds its own output, even above 64 MiB), numbered names that fit 255 bytes whatever the
 * script, and temporary names no output can ever have.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fitName, numberedName } from '../../src/publish/conflict.js';
import { publish, removeLeftoverTemps } from '../../src/publish/publish.js';
import { moveToTrash } from '../../src/run/trash.js';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-names-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

/** A big file that is quick to make: sparse, with marks at a few offsets (`last` at the very end). */
function big(name: string, size: number, last: string): string {
  const p = path.join(dir, 'staging', name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const fd = fs.openSync(p, 'w');
  fs.ftruncateSync(fd, size);
  for (const at of [0, 64 * MiB, size - 1]) fs.writeSync(fd, at === size - 1 ? last : 'x', at);
  fs.closeSync(fd);
  return p;
}

const validUtf8 = (name: string): boolean => Buffer.from(name).toString('utf8') === name && !name.includes('\uFFFD');

describe('exactly once, at any size', () => {
  it.each([65 * MiB, 200 * MiB])('a retry of an output of %i bytes that is already there adds no "name (1)"', (size) => {
    const dest = path.join(dir, 'out', 'scan.bin');
    expect(publish([{ source: big('a', size, 'A'), dest, onConflict: 'rename' }]).published).toEqual([dest]);
    // The retry after a crash that came just after publishing: same content, same name.
    expect(publish([{ source: big('b', size, 'A'), dest, onConflict: 'rename' }]).published).toEqual([dest]);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['scan.bin']);
    // Same size, one byte different at the very end: a different output after all.
    expect(publish([{ source: big('c', size, 'B'), dest, onConflict: 'rename' }]).published).toEqual([path.join(dir, 'out', 'scan (1).bin')]);
  }, 60_000);
});

describe('numbered names that fit', () => {
  const scripts = { ascii: 'a', latin: 'é', cjk: '日', emoji: '😀' };
  it.each(Object.entries(scripts))('a 253-255 byte %s name whose name is taken gets "name (n).ext" within 255 bytes, cut on a character boundary', (_, ch) => {
    for (const total of [253, 254, 255]) {
      const ext = '.pdf';
      let stem = '';
      while (Buffer.byteLength(stem + ch) + ext.length <= total) stem += ch;
      // Filler first, so every cut lands among the multibyte characters at the end.
      stem = 'z'.repeat(total - ext.length - Buffer.byteLength(stem)) + stem;
      const name = `${stem}${ext}`;
      expect(Buffer.byteLength(name)).toBe(total);
      const out = path.join(dir, `out-${total}-${ch.codePointAt(0)}`);
      const published: string[] = [];
      for (let i = 0; i < 12; i++) {
        published.push(...publish([{ source: (() => { const p = path.join(dir, `s-${Math.random()}`); fs.writeFileSync(p, `v${i}`); return p; })(), dest: path.join(out, name), onConflict: 'rename' }]).published);
      }
      const names = published.map((p) => path.basename(p));
      expect(names[0]).toBe(name);
      expect(new Set(names).size).toBe(12);
      for (const [i, n] of names.entries()) {
        expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255);
        expect(validUtf8(n)).toBe(true);
        if (i > 0) expect(n.endsWith(` (${i}).pdf`)).toBe(true);
      }
      expect(fs.readdirSync(out).sort()).toEqual([...names].sort());
    }
  });

  it('shortens a name a template made longer than 255 bytes instead of failing', () => {
    const name = `${'ß'.repeat(200)}.pdf`; // 404 bytes
    const source = path.join(dir, 'src');
    fs.writeFileSync(source, 'x');
    const [published] = publish([{ source, dest: path.join(dir, 'out', name), onConflict: 'rename' }]).published;
    const base = path.basename(published as string);
    expect(Buffer.byteLength(base)).toBeLessThanOrEqual(255);
    expect(base).toBe(`${'ß'.repeat(125)}.pdf`);
    expect(fs.readFileSync(published as string, 'utf8')).toBe('x');
  });

  it('cuts a name whose "extension" is most of it, and the trash keeps room for .trashinfo', () => {
    const longExt = `a.${'e'.repeat(252)}`;
    expect(Buffer.byteLength(path.basename(numberedName(path.join(dir, longExt), 3)))).toBeLessThanOrEqual(255);
    expect(fitName('日日日.txt', 10)).toBe('日日.txt');
    expect(fitName('日日日.txt', 12, ' (1)')).toBe('日 (1).txt');
    process.env.HOME = dir;
    delete process.env.XDG_DATA_HOME;
    const name = `${'ü'.repeat(125)}.pdf`; // 254 bytes
    for (let i = 0; i < 3; i++) {
      const file = path.join(dir, 'inbox', name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `v${i}`);
      const trashed = moveToTrash(file);
      expect(Buffer.byteLength(`${path.basename(trashed)}.trashinfo`)).toBeLessThanOrEqual(255);
      expect(fs.readFileSync(trashed, 'utf8')).toBe(`v${i}`);
    }
  });
});

describe('temporary names', () => {
  it('no output may take one, and the clean-up at start removes only dropwork\'s own', () => {
    const out = path.join(dir, 'out');
    const src = path.join(dir, 'src');
    fs.writeFileSync(src, 'mine');
    for (const name of ['.dropwork-0123456789ab.tmp', '.dropwork-notes.txt']) {
      expect(() => publish([{ source: src, dest: path.join(out, name), onConflict: 'rename' }])).toThrow(/names starting with "\.dropwork-" are reserved/);
    }
    // A person's own file that merely looks similar is not dropwork's to delete.
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, '.dropwork-notes.tmp'), 'mine');
    fs.writeFileSync(path.join(out, '.dropwork-0123456789ab.tmp'), 'half');
    expect(removeLeftoverTemps(out)).toBe(1);
    expect(fs.readdirSync(out)).toEqual(['.dropwork-notes.tmp']);
  });
});
