/**
 * Revert leaves no empty folders the job made behind (it left `outputs/night/2026/12`), and
 * touches no folder a person made, one with anything in it, or one reached through a link.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeEmptiedFolders } from '../../src/undo/folders.js';
import { cli, makeHome, type TestHome } from '../support/home.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function temp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-emptied-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A job's start time, a moment after what was made so far (file times tick coarsely). */
async function later(): Promise<number> {
  await new Promise((r) => setTimeout(r, 60));
  return Date.now();
}

/** Every folder and file under `dir`, relative, sorted. */
const listing = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).sort();

describe('revert removes the folders its job made and left empty', () => {
  it('through the CLI: a rule sorting into year/month folders reverts to its outputs folder as it was', async () => {
    const home: TestHome = makeHome({ rules: { 'night.yaml': 'name: night\nwatch: inbox/night\noutput: outputs/night\nactions: [{move: "{modified:YYYY}/{modified:MM}"}]\n' } });
    cleanups.push(() => home.cleanup());
    fs.mkdirSync(home.inbox('night'), { recursive: true });
    // A folder the person made before the job, empty: not the job's, so it stays.
    fs.mkdirSync(path.join(home.output('night'), 'mine'), { recursive: true });
    const file = path.join(home.inbox('night'), 'scan.txt');
    fs.writeFileSync(file, 'scan');
    fs.utimesSync(file, new Date('2026-12-05T12:00:00'), new Date('2026-12-05T12:00:00'));
    expect((await cli(home, ['run', file, '--wait'])).code).toBe(0);
    expect(listing(home.output('night'))).toEqual(['2026', path.join('2026', '12'), path.join('2026', '12', 'scan.txt'), 'mine']);

    const r = await cli(home, ['jobs', 'revert', '1']);
    expect(r.code).toBe(0);
    expect(listing(home.output('night'))).toEqual(['mine']);
    const history = await cli(home, ['jobs', 'show', '1']);
    expect(history.stdout).toContain(`remove the empty folder ${path.join(home.output('night'), '2026', '12')} (the job created it)`);
  });

  it('stops at a folder made before the job and at one with anything in it', async () => {
    const root = temp();
    fs.mkdirSync(path.join(root, 'old'));
    const started = await later();
    fs.mkdirSync(path.join(root, 'old', 'x', 'y'), { recursive: true });
    fs.mkdirSync(path.join(root, 'old', 'p', 'q'), { recursive: true });
    fs.writeFileSync(path.join(root, 'old', 'p', 'keep.txt'), 'a person put this here');
    const removed = removeEmptiedFolders([path.join(root, 'old', 'x', 'y', 'gone.txt'), path.join(root, 'old', 'p', 'q', 'gone.txt')], started);
    expect(removed.sort()).toEqual([path.join(root, 'old', 'p', 'q'), path.join(root, 'old', 'x'), path.join(root, 'old', 'x', 'y')]);
    expect(listing(root)).toEqual(['old', path.join('old', 'p'), path.join('old', 'p', 'keep.txt')]);
  });

  it('removes nothing through a link put where the job made a folder', async () => {
    const root = temp();
    const started = Date.now();
    fs.mkdirSync(path.join(root, 'outputs', '2026', '12'), { recursive: true });
    // Since the job: its 2026 folder moved elsewhere and a link put in its place.
    fs.renameSync(path.join(root, 'outputs', '2026'), path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(root, 'elsewhere'), path.join(root, 'outputs', '2026'));
    expect(removeEmptiedFolders([path.join(root, 'outputs', '2026', '12', 'gone.txt')], started)).toEqual([]);
    expect(fs.existsSync(path.join(root, 'elsewhere', '12'))).toBe(true);
  });

  it('goes through a link that was there before the job (an outputs folder on a NAS), and not above it', async () => {
    const root = temp();
    fs.mkdirSync(path.join(root, 'nas'));
    fs.symlinkSync(path.join(root, 'nas'), path.join(root, 'outputs'));
    const started = await later(); // the link and the NAS folder are older than the job
    fs.mkdirSync(path.join(root, 'outputs', '2026', '12'), { recursive: true });
    expect(removeEmptiedFolders([path.join(root, 'outputs', '2026', '12', 'gone.txt')], started)).toHaveLength(2);
    expect(listing(path.join(root, 'nas'))).toEqual([]);
    expect(fs.lstatSync(path.join(root, 'outputs')).isSymbolicLink()).toBe(true);
  });
});
