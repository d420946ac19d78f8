/**
 * The shape a live run of a program must have before anything is published (runner.ts): each
 * file one its examples wrote the same way, no more new files than any example made. Real
 * folders; the examples as keepExample leaves them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Example } from '../../src/program/examples.js';
import { shapeProblem, shapesOf } from '../../src/program/runner.js';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const example = (job: number, outputs: Example['outputs']): Example => ({ job, dir: `/examples/${job}`, input: 'x.pdf', outputs });
const staged = (out: string, rels: string[]) => rels.map((rel) => ({ source: `/jobs/1/output/${rel}`, dest: path.join(out, rel), onConflict: 'rename' as const }));

describe('the shape of a program\'s live output', () => {
  it('takes what the examples wrote, by path for a changed file and by extension and depth for a new one, and no more new files', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-shape-'));
    const out = path.join(dir, 'outputs');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'ledger.csv'), 'invoice_number,total\n');
    const shapes = shapesOf([
      example(1, [{ path: 'ledger.csv', kind: 'appended' }, { path: '2026-11/a.pdf', kind: 'created' }]),
      example(2, [{ path: 'ledger.csv', kind: 'appended' }, { path: '2026-12/b.pdf', kind: 'created' }]),
    ]);
    expect(shapeProblem(staged(out, ['ledger.csv', '2027-01/c.pdf']), out, shapes)).toBeUndefined();
    expect(shapeProblem([], out, shapes)).toBe('it wrote nothing');
    expect(shapeProblem(staged(out, ['ledger.csv', 'c.pdf']), out, shapes)).toMatch(/^it wrote c\.pdf, unlike its examples \(new \*\.pdf\); they wrote: /);
    expect(shapeProblem(staged(out, ['2027-01/c.txt']), out, shapes)).toMatch(/^it wrote 2027-01\/c\.txt, unlike its examples \(new \*\/\*\.txt\)/);
    expect(shapeProblem(staged(out, ['2027-01/c.pdf', '2027-01/d.pdf']), out, shapes)).toBe('it wrote 2 new files; its examples wrote at most 1');
    // A file of the outputs folder the examples never changed.
    fs.writeFileSync(path.join(out, 'notes.txt'), 'the person\'s own\n');
    expect(shapeProblem(staged(out, ['notes.txt']), out, shapes)).toMatch(/^it wrote notes\.txt, unlike its examples \(changes notes\.txt\)/);
  });
});
