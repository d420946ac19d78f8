/**
 * The trash, on real file systems: the home trash, a real tmpfs mounted for the test (another
 * file system, so its own top-level trash), and the macOS path run here with the platform
 * given and PATH holding a stand-in `osascript` that records what it was asked (there is no
 * Finder on Linux) and does what Finder would.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deletionDate } from '../../src/run/freedesktop-trash.js';
import { moveToTrash } from '../../src/run/trash.js';

let root: string;
let env: NodeJS.ProcessEnv;
let mount: string;
const uid = process.getuid?.() ?? 0;

beforeAll(() => {
  mount = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
});
afterAll(() => {
  execFileSync('umount', [mount]);
  fs.rmdirSync(mount);
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  for (const entry of fs.readdirSync(mount)) fs.rmSync(path.join(mount, entry), { recursive: true, force: true });
});

function setUp(): void {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-trash-'));
  env = { HOME: path.join(root, 'user'), PATH: process.env.PATH };
  fs.mkdirSync(env.HOME as string);
}

function drop(dir: string, name: string, text = 'content'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const readInfo = (file: string): Record<string, string> =>
  Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('the freedesktop trash', () => {
  it('puts a file from the home file system into the home trash, dated in local time', () => {
    setUp();
    const file = drop(path.join(root, 'inbox'), 'scan 1 & co.pdf');
    const before = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      const dest = moveToTrash(file, { env });
      const trash = path.join(root, 'user', '.local', 'share', 'Trash');
      expect(dest).toBe(path.join(trash, 'files', 'scan 1 & co.pdf'));
      expect(fs.readFileSync(dest, 'utf8')).toBe('content');
      expect(fs.existsSync(file)).toBe(false);
      const info = readInfo(path.join(trash, 'info', 'scan 1 & co.pdf.trashinfo'));
      expect(info.Path).toBe(file.split('/').map(encodeURIComponent).join('/'));
      expect(decodeURIComponent(info.Path ?? '')).toBe(file);
      // Tokyo is UTC+9 all year: the date written is the wall clock there, with no zone.
      expect(info.DeletionDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      const tokyo = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 19);
      expect(Math.abs(Date.parse(`${info.DeletionDate}Z`) - Date.parse(`${tokyo}Z`))).toBeLessThan(5000);
      expect(fs.readdirSync(path.join(trash, 'info'))).toEqual(['scan 1 & co.pdf.trashinfo']);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('formats a date as local wall-clock time', () => {
    const d = new Date(2026, 2, 5, 7, 8, 9);
    expect(deletionDate(d)).toBe('2026-03-05T07:08:09');
  });

  it('moves a file on another file system into that file system\'s .Trash-$UID, not a copy into the home', () => {
    setUp();
    const file = drop(path.join(mount, 'inbox'), 'report.pdf');
    const inode = fs.statSync(file).ino;
    const dest = moveToTrash(file, { env });
    const trash = path.join(mount, `.Trash-${uid}`);
    expect(dest).toBe(path.join(trash, 'files', 'report.pdf'));
    expect(fs.statSync(dest).ino).toBe(inode);
    expect(fs.statSync(trash).mode & 0o7777).toBe(0o700);
    expect(readInfo(path.join(trash, 'info', 'report.pdf.trashinfo')).Path).toBe('inbox/report.pdf');
    expect(fs.existsSync(path.join(root, 'user', '.local', 'share', 'Trash'))).toBe(false);
  });

  it('uses $topdir/.Trash/$UID when the top folder has a sticky .Trash, and not when it is not sticky', () => {
    setUp();
    fs.mkdirSync(path.join(mount, '.Trash'));
    fs.chmodSync(path.join(mount, '.Trash'), 0o777);
    const first = moveToTrash(drop(path.join(mount, 'a'), 'x.txt'), { env });
    expect(first).toBe(path.join(mount, `.Trash-${uid}`, 'files', 'x.txt'));
    fs.chmodSync(path.join(mount, '.Trash'), 0o1777);
    const second = moveToTrash(drop(path.join(mount, 'a'), 'x.txt'), { env });
    expect(second).toBe(path.join(mount, '.Trash', String(uid), 'files', 'x.txt'));
    expect(readInfo(path.join(mount, '.Trash', String(uid), 'info', 'x.txt.trashinfo')).Path).toBe('a/x.txt');
  });

  it('gives a second file of the same name its own entry, and skips a name another trasher has reserved', () => {
    setUp();
    const trash = path.join(root, 'user', '.local', 'share', 'Trash');
    expect(moveToTrash(drop(path.join(root, 'a'), 'n.txt', 'one'), { env })).toBe(path.join(trash, 'files', 'n.txt'));
    // Someone else reserved "n (2).txt" (its .trashinfo exists) but has not moved its file yet.
    fs.writeFileSync(path.join(trash, 'info', 'n (2).txt.trashinfo'), '');
    expect(moveToTrash(drop(path.join(root, 'b'), 'n.txt', 'two'), { env })).toBe(path.join(trash, 'files', 'n (3).txt'));
    expect(fs.readFileSync(path.join(trash, 'files', 'n (3).txt'), 'utf8')).toBe('two');
    expect(readInfo(path.join(trash, 'info', 'n (3).txt.trashinfo')).Path).toBe(path.join(root, 'b', 'n.txt'));
    expect(fs.readdirSync(path.join(trash, 'info')).sort()).toEqual(['n (2).txt.trashinfo', 'n (3).txt.trashinfo', 'n.txt.trashinfo']);
  });

  it('leaves no entry behind when the file cannot be moved', () => {
    setUp();
    expect(() => moveToTrash(path.join(root, 'missing.txt'), { env })).toThrow(/ENOENT/);
    const info = path.join(root, 'user', '.local', 'share', 'Trash', 'info');
    expect(fs.readdirSync(info)).toEqual([]);
  });
});

describe('the macOS trash', () => {
  function fakeOsascript(script: string): string {
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'osascript'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${path.join(root, 'osascript.args')}"\n${script}\n`, { mode: 0o755 });
    return bin;
  }

  it('asks Finder to delete the file (so Put Back works), the path passed as an argument', () => {
    setUp();
    const file = drop(path.join(root, 'in'), 'a "quoted" \\ name.txt');
    // Finder moves it to ~/.Trash; the stand-in does the same with the last argument.
    const bin = fakeOsascript(`for last; do :; done; mkdir -p "$HOME/.Trash" && mv "$last" "$HOME/.Trash/"`);
    const r = moveToTrash(file, { env: { ...env, PATH: `${bin}:${env.PATH}` }, platform: 'darwin' });
    expect(r).toBe('the Trash, through Finder');
    const args = fs.readFileSync(path.join(root, 'osascript.args'), 'utf8').split('\n');
    expect(args).toEqual(['-e', 'on run argv', '-e', 'tell application "Finder" to delete (POSIX file (item 1 of argv) as alias)', '-e', 'end run', file, '']);
    expect(fs.existsSync(path.join(root, 'user', '.Trash', 'a "quoted" \\ name.txt'))).toBe(true);
  });

  it('moves the file to ~/.Trash itself when Finder cannot be asked', () => {
    setUp();
    const file = drop(path.join(root, 'in'), 'b.txt');
    const bin = fakeOsascript('echo "execution error: Not authorized to send Apple events to Finder. (-1743)" >&2; exit 1');
    const r = moveToTrash(file, { env: { ...env, PATH: `${bin}:${env.PATH}` }, platform: 'darwin' });
    expect(r).toBe(path.join(root, 'user', '.Trash', 'b.txt'));
    expect(fs.existsSync(r)).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
  });
});
