/**
 * The watch-limit and disk checks against real folders: the kernel's real inotify limit, and
 * for the low cases a limit file with a small number (the kernel's cannot be lowered for one
 * test) and a real 8 MiB tmpfs as an outputs folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diskCheck } from '../../src/doctor/checks/disk.js';
import { watchLimitCheck } from '../../src/doctor/checks/watch-limit.js';
import { doctorContext } from '../../src/doctor/run.js';
import { dropFiles, makeHome, type TestHome } from '../notify/home.js';

let home: TestHome;
let mounted: string | undefined;
afterEach(() => {
  if (mounted) execFileSync('umount', [mounted]);
  mounted = undefined;
  home.remove();
});

function withInbox(files: number, extraRule = ''): void {
  home = makeHome('dropwork-doctor-');
  home.rule('scans', `name: scans\nwatch: inbox\noutput: outputs/scans\nactions:\n  - copy: "."\n${extraRule}`);
  dropFiles(home.folder('inbox'), files, (i) => `scan-${i}.png`);
  home.folder('inbox/.hidden-not-counted');
}

describe('watch limit', () => {
  it('counts the inbox against the kernel\'s real limit', async () => {
    withInbox(25);
    const ctx = doctorContext(home.paths);
    const limit = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
    const r = await watchLimitCheck.run(ctx);
    expect(r).toEqual({ status: limit > 52 ? 'pass' : 'fail', summary: `26 file(s) and folder(s) in 1 watched inbox(es); limit ${limit}` });
  });

  it('warns past half the limit and fails past it, saying how to raise it', async () => {
    withInbox(25);
    const limitFile = path.join(home.dir, 'max_user_watches');
    const ctx = { ...doctorContext(home.paths), inotifyLimitFile: limitFile };
    fs.writeFileSync(limitFile, '40\n');
    expect(await watchLimitCheck.run(ctx)).toMatchObject({ status: 'warn' });
    fs.writeFileSync(limitFile, '20\n');
    const r = await watchLimitCheck.run(ctx);
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('more than 20 file(s) and folder(s) in 1 watched inbox(es); limit 20: dropwork has to poll instead');
    expect(r.fix).toContain('fs.inotify.max_user_watches=524288');
  });

  it('leaves out inboxes watched by polling', async () => {
    withInbox(25, 'poll: true\n');
    const ctx = { ...doctorContext(home.paths), inotifyLimitFile: path.join(home.dir, 'limit') };
    fs.writeFileSync(ctx.inotifyLimitFile, '20\n');
    expect(await watchLimitCheck.run(ctx)).toMatchObject({ status: 'pass', summary: '0 file(s) and folder(s) in 0 watched inbox(es); limit 20' });
  });
});

describe('disk space', () => {
  it('reports the free space where outputs go', async () => {
    withInbox(1);
    const r = await diskCheck.run(doctorContext(home.paths));
    const s = fs.statfsSync(home.dir);
    expect(r.status).toBe(s.bavail * s.bsize > 2 * 1024 ** 3 ? 'pass' : 'warn');
    expect(r.summary).toMatch(/^\d+\.\d (MiB|GiB|TiB) free for 2 folders \(/);
  });

  it('fails when an outputs folder sits on an almost full disk (a real 8 MiB tmpfs)', async () => {
    withInbox(1);
    const outputs = home.folder('outputs/scans');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', outputs]);
    mounted = outputs;
    const r = await diskCheck.run(doctorContext(home.paths));
    expect(r).toMatchObject({ status: 'fail', summary: `8.0 MiB free for outputs of scans (${outputs})` });
    expect(r.fix).toContain('outputs of scans');
  });
});
