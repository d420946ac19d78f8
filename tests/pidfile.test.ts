/**
 * Two daemons for one home must not both start: real processes race for the pid file (several
 * contenders released at the same instant, on a fresh home and on a stale pid file left by a
 * dead process), and two real `dropwork start` race on one home.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, makeHome, waitFor, type TestHome } from './support/home.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CONTENDER = path.join(ROOT, 'tests', 'support', 'claim-pid.mjs');
const MODULE = path.join(ROOT, 'dist', 'pidfile.js');

let dir: string;
let home: TestHome | undefined;
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  home?.cleanup();
  home = undefined;
});

/** Starts `n` contenders released together; resolves with what each said once all have claimed. */
async function race(pidFile: string, n: number): Promise<{ said: string[]; winners: number[]; release: () => Promise<void> }> {
  const startAt = Date.now() + 1500;
  const children = Array.from({ length: n }, () => spawn(process.execPath, [CONTENDER, MODULE, pidFile, String(startAt)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const said = await Promise.all(children.map((c) => new Promise<string>((resolve) => {
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.endsWith('\n')) resolve(out.trim());
    });
    c.once('exit', () => resolve(out.trim()));
  })));
  const winners = children.filter((_, i) => said[i] === 'won').map((c) => c.pid as number);
  return {
    said,
    winners,
    release: async () => {
      for (const c of children) c.stdin.end();
      await Promise.all(children.map((c) => exitOf(c)));
    },
  };
}

describe('the pid file', () => {
  it('lets exactly one of several processes started at the same instant claim it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-pid-'));
    for (let round = 0; round < 4; round++) {
      const pidFile = path.join(dir, `round-${round}`, 'dropwork.pid');
      const r = await race(pidFile, 5);
      try {
        expect(r.winners, r.said.join('\n')).toHaveLength(1);
        expect(r.said.filter((s) => s.startsWith('lost: dropwork is already running for this home'))).toHaveLength(4);
        expect(fs.readFileSync(pidFile, 'utf8')).toBe(`${r.winners[0]}\n`);
      } finally {
        await r.release();
      }
      expect(fs.readdirSync(path.dirname(pidFile)).filter((f) => f !== 'dropwork.pid')).toEqual([]);
    }
  });

  it('replaces a pid file left by a dead process, and still only once', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-pid-'));
    const dead = spawnSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    for (let round = 0; round < 4; round++) {
      const pidFile = path.join(dir, `round-${round}`, 'dropwork.pid');
      fs.mkdirSync(path.dirname(pidFile));
      fs.writeFileSync(pidFile, `${deadPid}\n`);
      const r = await race(pidFile, 5);
      try {
        expect(r.winners, r.said.join('\n')).toHaveLength(1);
        expect(fs.readFileSync(pidFile, 'utf8')).toBe(`${r.winners[0]}\n`);
      } finally {
        await r.release();
      }
    }
  });

  it('two `dropwork start` on one home at once: one runs, the other says so and exits 1', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-pid-'));
    home = makeHome({ rules: { 'copies.yaml': 'name: copies\nwatch: inbox/a\noutput: outputs/a\nactions:\n  - copy: "."\n' } });
    const h = home;
    const bin = path.join(ROOT, 'bin', 'dropwork.js');
    const starts = [0, 1].map(() => spawn(process.execPath, [bin, 'start'], { env: h.env, stdio: ['ignore', 'ignore', 'pipe'] }));
    const errs = starts.map((c) => {
      let s = '';
      c.stderr.setEncoding('utf8').on('data', (d: string) => { s += d; });
      return () => s;
    });
    try {
      const first = await Promise.race(starts.map((c, i) => exitOf(c).then((code) => ({ i, code }))));
      expect(first.code).toBe(1);
      expect(errs[first.i]?.()).toMatch(/already running for this home \(pid \d+\)/);
      const winner = starts[1 - first.i];
      await waitFor(() => fs.existsSync(h.paths.pidFile) && fs.readFileSync(h.paths.pidFile, 'utf8') === `${winner?.pid}\n`, 20_000, 'the winner\'s pid file');
      expect(winner?.exitCode).toBeNull();
    } finally {
      for (const c of starts) if (c.exitCode === null) c.kill('SIGTERM');
      await Promise.all(starts.map((c) => exitOf(c)));
    }
  });
});
