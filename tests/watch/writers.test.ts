/** Who holds a file open for writing, read from /proc: real child processes, Linux only. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { forgetWriters, untilWritten, writersOf } from '../../src/watch/writers.js';

let dir: string;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A child that opens `file` with `flags` and holds it until killed; resolves once it is open. */
function holder(file: string, flags: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('fs').openSync(process.argv[1], process.argv[2]); console.log('open'); setInterval(() => {}, 1000);`, file, flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve) => child.stdout?.once('data', () => resolve(child)));
}

describe.runIf(process.platform === 'linux')('writersOf', () => {
  it('names a process holding the file open to write or append, and not one only reading it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-writers-'));
    const files = { w: 'w.bin', a: 'a.bin', rw: 'rw.bin', r: 'r.bin' } as const;
    for (const f of Object.values(files)) fs.writeFileSync(path.join(dir, f), 'x');
    const pids: Record<string, number> = {};
    for (const [flags, f] of Object.entries(files)) pids[flags] = (await holder(path.join(dir, f), flags === 'rw' ? 'r+' : flags)).pid as number;
    forgetWriters();
    expect(await writersOf(path.join(dir, files.w))).toEqual([String(pids.w)]);
    expect(await writersOf(path.join(dir, files.a))).toEqual([String(pids.a)]);
    expect(await writersOf(path.join(dir, files.rw))).toEqual([String(pids.rw)]);
    expect(await writersOf(path.join(dir, files.r))).toEqual([]);
    for (const c of children.splice(0)) {
      c.kill();
      await new Promise((r) => c.once('exit', r));
    }
    forgetWriters();
    expect(await writersOf(path.join(dir, files.w))).toEqual([]);
  });

  it('finds the writer of a file reached through a linked folder, and of one queued by its link', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-writers-'));
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'linked'));
    const file = path.join(dir, 'real', 'held.bin');
    fs.writeFileSync(file, 'x');
    fs.symlinkSync(file, path.join(dir, 'link-to-held.bin'));
    const child = await holder(file, 'a');
    forgetWriters();
    expect(await writersOf(path.join(dir, 'linked', 'held.bin'))).toEqual([String(child.pid)]);
    // untilWritten resolves the link itself (a file queued by hand may be one).
    await expect(untilWritten(path.join(dir, 'link-to-held.bin'), new AbortController().signal, 200, 50)).rejects.toThrow(`process ${child.pid}`);
    // A file of another name is held open by nobody, whatever the scan holds.
    fs.writeFileSync(path.join(dir, 'real', 'other.bin'), 'y');
    expect(await writersOf(path.join(dir, 'linked', 'other.bin'))).toEqual([]);
  });

  it('untilWritten waits for the writer to close, and past its limit asks for a retry later', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-writers-'));
    const file = path.join(dir, 'held.bin');
    fs.writeFileSync(file, 'x');
    const child = await holder(file, 'a');
    const signal = new AbortController().signal;
    await expect(untilWritten(file, signal, 300, 50)).rejects.toThrow(TransientError);
    await expect(untilWritten(file, signal, 300, 50)).rejects.toThrow(`the file is still open for writing (process ${child.pid}); trying again later`);
    const waiting = untilWritten(file, signal, 30_000, 50);
    setTimeout(() => child.kill(), 300);
    await waiting;
  });

  it('untilWritten with since: the first look may use a scan taken since then, at most 2 s old; otherwise it scans afresh', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-writers-'));
    const file = path.join(dir, 'held.bin');
    fs.writeFileSync(file, 'x');
    const signal = new AbortController().signal;
    // Started first and told to open the file later, so the scan below is at most ms old then.
    const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { require('fs').openSync(process.argv[1], 'a'); console.log('open'); }); console.log('ready'); setInterval(() => {}, 1000);`, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    forgetWriters();
    const since = Date.now();
    // A job's runner scans while it waits on something else (the program runner, while Docker starts).
    expect(await writersOf(file, since)).toEqual([]);
    child.stdin?.write('open\n');
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    // That scan is what publishing looks at: taken since the attempt began and fresh enough. (A
    // writer that opened later and writes before publishing is the content check's to catch.)
    await untilWritten(file, signal, 300, 50, since);
    // Once it is over 2 s old, or taken before `since`, it is not used: the writer is seen.
    await new Promise((r) => setTimeout(r, 2100));
    await expect(untilWritten(file, signal, 300, 50, since)).rejects.toThrow(`process ${child.pid}`);
    expect(await writersOf(file, since)).toEqual([String(child.pid)]);
    child.kill();
    await new Promise((r) => child.once('exit', r));
    await expect(untilWritten(file, signal, 300, 50, Date.now() + 1)).resolves.toBeUndefined();
  });
});
