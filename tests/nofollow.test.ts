/**
 * src/nofollow.ts against a folder that is swapped for a link as fast as a shell can: the
 * race a process left behind by a command would run. Reads, lists, writes, the write-cap
 * walk and the hand-over never reach the canary folder the link points to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chownTreeNoFollow, entryStat, listFolderEntries, openFolder, withFile, writeFileIn } from '../src/nofollow.js';
import { measure } from '../src/sandbox/output.js';
import { openFolderPath, readFileIn } from '../src/nofollow-files.js';

let swapper: ChildProcess | undefined;
const dirs: string[] = [];
afterEach(() => {
  swapper?.kill('SIGKILL');
  swapper = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setUp(): { output: string; canary: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-nofollow-'));
  dirs.push(root);
  const output = path.join(root, 'output');
  const canary = path.join(root, 'canary');
  fs.mkdirSync(path.join(output, 'd'), { recursive: true });
  fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(canary, 'sub', 'keep.txt'), 'keep');
  fs.writeFileSync(path.join(canary, 'secret.txt'), 'canary-secret');
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(canary, `filler-${i}`), 'x'.repeat(1000));
  return { output, canary };
}

describe('no-follow file access', () => {
  it('refuses a link at any step, and names it', async () => {
    const { output, canary } = setUp();
    fs.symlinkSync(canary, path.join(output, 'link'));
    expect(() => entryStat(output, 'link/secret.txt', 'output/link/secret.txt')).toThrow('link is a symbolic link');
    expect(() => listFolderEntries(output, 'link')).toThrow('symbolic link');
    await expect(withFile(output, 'link/secret.txt', 'x', async (f) => fs.readFileSync(f, 'utf8'))).rejects.toThrow('symbolic link');
    expect(() => writeFileIn(output, 'link/new.txt', 'output/link/new.txt', 'x')).toThrow('symbolic link');
    expect(() => openFolder(output, 'd/../../canary')).toThrow('climbs out');
    fs.symlinkSync(path.join(canary, 'secret.txt'), path.join(output, 'd', 'file-link'));
    await expect(withFile(output, 'd/file-link', 'x', async (f) => fs.readFileSync(f, 'utf8'))).rejects.toThrow('symbolic link');
    expect(fs.readdirSync(canary)).not.toContain('new.txt');
    expect((await measure([output])).entries).toBe(3); // d, d/file-link, link: neither followed
  });

  it('follows the base folder itself: the person may have linked an outputs folder elsewhere', () => {
    const { output, canary } = setUp();
    fs.symlinkSync(canary, path.join(output, '..', 'outputs-link'));
    const base = path.join(output, '..', 'outputs-link');
    expect(writeFileIn(base, 'sub/new.txt', 'sub/new.txt', 'ok')).toBe(2);
    expect(fs.readFileSync(path.join(canary, 'sub', 'new.txt'), 'utf8')).toBe('ok');
    expect(listFolderEntries(base, 'sub')?.map((e) => e.name).sort()).toEqual(['keep.txt', 'new.txt']);
  });

  it.runIf(process.getuid?.() === 0)('hands output/ over without following a link or touching a hard-linked file', () => {
    const { output, canary } = setUp();
    fs.writeFileSync(path.join(output, 'd', 'mine.txt'), 'mine');
    fs.symlinkSync(canary, path.join(output, 'd', 'to-canary'));
    fs.linkSync(path.join(canary, 'secret.txt'), path.join(output, 'd', 'hard.txt'));
    const owners = (dir: string): string[] => fs.readdirSync(dir).map((n) => `${n}:${fs.lstatSync(path.join(dir, n)).uid}`).sort();
    const before = owners(canary);
    chownTreeNoFollow(output, 12345, 12345);
    expect(owners(canary)).toEqual(before);
    expect(fs.statSync(canary).uid).not.toBe(12345);
    expect(fs.lstatSync(path.join(output, 'd', 'mine.txt')).uid).toBe(12345);
    expect(fs.lstatSync(path.join(output, 'd')).uid).toBe(12345);
    expect(fs.lstatSync(path.join(output, 'd', 'to-canary')).uid).not.toBe(12345);
  });

  it('holds while a folder is swapped for a link to a canary folder, thousands of times', async () => {
    const { output, canary } = setUp();
    const before = fs.readdirSync(canary).sort();
    swapper = spawn('sh', ['-c', `cd "${output}"; while :; do rm -rf d; ln -s "${canary}" d; rm -f d; mkdir d; done`], { stdio: 'ignore' });
    const leaks: string[] = [];
    const until = Date.now() + 3000;
    let tries = 0;
    while (Date.now() < until) {
      tries++;
      try {
        const text = await withFile(output, 'd/secret.txt', 'd/secret.txt', async (f) => fs.readFileSync(f, 'utf8'));
        if (text !== undefined) leaks.push(`read ${text}`);
      } catch { /* refused: fine */ }
      try {
        const names = listFolderEntries(output, 'd')?.map((e) => e.name) ?? [];
        if (names.includes('secret.txt')) leaks.push('listed the canary');
      } catch { /* refused */ }
      try { writeFileIn(output, 'd/injected.txt', 'd/injected.txt', 'pwned'); } catch { /* refused */ }
      try { if (entryStat(output, 'd/secret.txt')) leaks.push('stat through the link'); } catch { /* refused */ }
      const size = await measure([output]);
      if (size.entries > 10) leaks.push(`measured ${size.entries} entries`);
      chownTreeNoFollow(output, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    }
    swapper.kill('SIGKILL');
    expect(tries).toBeGreaterThan(20);
    expect(leaks).toEqual([]);
    expect(fs.readdirSync(canary).sort()).toEqual(before);
  });
});

describe('descriptors', () => {
  const open = (): number => fs.readdirSync('/proc/self/fd').length;

  it.runIf(fs.existsSync('/proc/self/fd'))('a refusal or a missing step leaves no descriptor open (a neighbour flipping a link made each refused try leak one)', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-fds-'));
    fs.mkdirSync(path.join(base, 'real'));
    fs.symlinkSync(path.join(base, 'real'), path.join(base, 'link'));
    const before = open();
    for (let i = 0; i < 300; i++) {
      expect(() => openFolder(base, 'link/deeper')).toThrow(/symbolic link/);
      expect(() => readFileIn(base, 'link/main.py')).toThrow(/symbolic link/);
      expect(openFolderPath(path.join(base, 'real', 'missing', 'deeper'), { links: 'none' })).toBeUndefined();
      expect(() => openFolderPath(path.join(base, 'link', 'x'), { links: 'none' })).toThrow(/symbolic link/);
    }
    expect(open()).toBe(before);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
