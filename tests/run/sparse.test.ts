/**
 * Sparse files stay sparse: a 2 GiB file with 0 bytes on disk, copied by a job (steps and the
 * agent's input copy) and published across file systems, takes about as many blocks as the
 * original, not 2 GiB. Above a rule's skip_files_over_mb a file is skipped with the reason. Real files,
 * the real Worker over real SQLite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { publish } from '../../src/publish/publish.js';
import { copyKeepingHoles } from '../../src/publish/sparse.js';
import { Harness, makeHome, writeConfig, writeRule, type Home } from '../agent/helpers.js';

const GiB = 1024 ** 3;
let home: Home | undefined;
let h: Harness | undefined;
const made: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (home) fs.rmSync(home.dir, { recursive: true, force: true });
  for (const p of made.splice(0)) fs.rmSync(p, { recursive: true, force: true });
});

/** 2 GiB, holes but for a few bytes in the middle: 0-8 KiB on disk. */
function sparse(file: string): fs.Stats {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, 2 * GiB);
  fs.writeSync(fd, 'data in the middle', GiB);
  fs.closeSync(fd);
  return fs.statSync(file);
}

/** On-disk size may differ by file system allocation; a real copy would be ~4,194,304 blocks. */
const MAX_BLOCKS = 1024;

describe('sparse files', () => {
  it('a 2 GiB sparse file copied by a steps job stays sparse in its output', async () => {
    home = makeHome();
    writeConfig(home, { notify: false, sandbox: 'none' });
    writeRule(home, { name: 'disk', watch: home.inbox('disk'), output: home.outputs('disk'), actions: [{ copy: '.' }] });
    h = new Harness(home);
    const file = path.join(home.inbox('disk'), 'disk.img');
    const st = sparse(file);
    expect(st.blocks).toBeLessThan(MAX_BLOCKS);
    const row = h.store.enqueue({ rule: 'disk', file, sha256: null, trigger: 'watch', dedupe: false, payload: { size: st.size, mtimeMs: st.mtimeMs } });
    h.worker.wake();
    const done = await h.settled(row!.id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    const out = fs.statSync(path.join(home.outputs('disk'), 'disk.img'));
    expect(out.size).toBe(2 * GiB);
    expect(out.blocks).toBeLessThan(MAX_BLOCKS);
  }, 90_000);

  it('stays sparse when published onto another file system (tmpfs → disk) and when copied again as the agent input copy is', async () => {
    const shm = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/dropwork-sparse-') : fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-sparse-'));
    const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-sparse-'));
    made.push(shm, disk);
    const source = path.join(shm, 'staged');
    sparse(source);
    const dest = path.join(disk, 'out', 'disk.img');
    expect(publish([{ source, dest, onConflict: 'rename' }]).published).toEqual([dest]);
    expect(fs.statSync(dest).size).toBe(2 * GiB);
    expect(fs.statSync(dest).blocks).toBeLessThan(MAX_BLOCKS);
    const again = path.join(shm, 'copy');
    await copyKeepingHoles(dest, again);
    expect(fs.statSync(again).blocks).toBeLessThan(MAX_BLOCKS);
    const fd = fs.openSync(again, 'r');
    const buf = Buffer.alloc(18);
    fs.readSync(fd, buf, 0, 18, GiB);
    fs.closeSync(fd);
    expect(buf.toString()).toBe('data in the middle');
  }, 90_000);

  it('above skip_files_over_mb a file is skipped with a reason that says what to do', async () => {
    home = makeHome();
    writeConfig(home, { notify: false, sandbox: 'none' });
    writeRule(home, { name: 'small', watch: home.inbox('small'), output: home.outputs('small'), actions: [{ copy: '.' }], skip_files_over_mb: 1 });
    h = new Harness(home);
    const file = path.join(home.dir, 'big.bin');
    fs.writeFileSync(file, Buffer.alloc(1024 * 1024 + 1));
    const done = await h.run('small', file);
    expect(done.status).toBe('skipped');
    expect(done.reason).toBe('the file is 1.0 MiB, more than this rule\'s skip_files_over_mb: 1 (1.0 MiB); to process it, raise skip_files_over_mb in the rule, then: dropwork run FILE --force');
    expect(fs.existsSync(home.outputs('small'))).toBe(false);
    fs.writeFileSync(file, Buffer.alloc(1024 * 1024));
    expect((await h.run('small', file)).status).toBe('succeeded');
  });
});
