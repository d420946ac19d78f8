/**
 * The slow-writer matrix: a real child process writes a file into an inbox in chunks, holding it
 * open and pausing 1, 2, 3, 5 and 10 s between chunks, against the default settle window (2 s),
 * through the real daemon with `after: trash`. Every output must be the whole file and every
 * original must reach the trash whole: byte for byte. The writers run side by side so the matrix
 * takes about as long as its slowest writer (~25 s).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { filesIn, jobsOf, makeHome, startDaemon, waitUntil, writeConfig, writeRule, type Home } from '../agent/helpers.js';

const PAUSES_S = [1, 2, 3, 5, 10];
const CHUNKS = 3;

/** Writes `source` to `dest` in CHUNKS pieces, `pauseMs` apart, through one open descriptor. */
const WRITER = `
const fs = require('node:fs');
const [source, dest, pauseMs, chunks] = process.argv.slice(1);
const data = fs.readFileSync(source);
const fd = fs.openSync(dest, 'w');
const size = Math.ceil(data.length / Number(chunks));
let i = 0;
const next = () => {
  fs.writeSync(fd, data.subarray(i * size, (i + 1) * size));
  if (++i < Number(chunks)) setTimeout(next, Number(pauseMs));
  else fs.closeSync(fd);
};
next();
`;

function write(source: string, dest: string, pauseMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', WRITER, source, dest, String(pauseMs), String(CHUNKS)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
}

let home: Home;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  fs.rmSync(home.dir, { recursive: true, force: true });
});

describe('a file written slowly', () => {
  it('is taken only once it is whole: outputs complete, originals intact in the trash, at pauses of 1-10 s', async () => {
    home = makeHome();
    delete process.env.XDG_DATA_HOME; // the trash under the test's HOME
    writeConfig(home, { notify: false, sandbox: 'none' });
    writeRule(home, { name: 'slow', watch: home.inbox('slow'), output: home.outputs('slow'), actions: [{ copy: '.' }], after: 'trash' });
    // The default settle window, which is what the pauses are measured against.
    daemon = await startDaemon(home, ['slow'], { settle_ms: 2000 });
    const sources = new Map<string, Buffer>();
    await Promise.all(PAUSES_S.map(async (s) => {
      const name = `pause-${s}s.bin`;
      const data = randomBytes(3 * 25_000 + s);
      const source = path.join(home.dir, name);
      fs.writeFileSync(source, data);
      sources.set(name, data);
      await write(source, path.join(home.inbox('slow'), name), s * 1000);
    }));
    const d = daemon;
    await waitUntil(() => {
      const jobs = jobsOf(d, 'slow');
      return jobs.filter((j) => j.status === 'succeeded').length === PAUSES_S.length && jobs.every((j) => j.status !== 'queued' && j.status !== 'running');
    }, 'every slow file to be processed', 30_000);
    const trash = path.join(process.env.HOME as string, '.local', 'share', 'Trash', 'files');
    const matrix = PAUSES_S.map((s) => {
      const name = `pause-${s}s.bin`;
      const want = sources.get(name) as Buffer;
      const out = path.join(home.outputs('slow'), name);
      const trashed = path.join(trash, name);
      return {
        pause_s: s,
        output_complete: fs.existsSync(out) && fs.readFileSync(out).equals(want),
        original_intact: fs.existsSync(trashed) && fs.readFileSync(trashed).equals(want),
      };
    });
    console.log(`slow-writer matrix (settle 2 s, ${CHUNKS} chunks): ${JSON.stringify(matrix)}`);
    expect(matrix.every((m) => m.output_complete && m.original_intact)).toBe(true);
    // Nothing half-written was published under another name either.
    expect(filesIn(home.outputs('slow'))).toEqual(PAUSES_S.map((s) => `pause-${s}s.bin`).sort());
    expect(fs.readdirSync(home.inbox('slow'))).toEqual([]);
  }, 60_000);
});
