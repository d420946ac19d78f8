import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { afterOf, beforeOf, inputOf, keepExample, loadExample } from '../../src/program/examples.js';
import { resolvePaths, type Paths } from '../../src/paths.js';
import type { JobRow } from '../../src/queue/status.js';
import type { Rule } from '../../src/rules/rule.js';
import { blobsFor } from '../../src/undo/revert.js';
import { factsOf } from '../../src/publish/content.js';
import type { Change } from '../../src/undo/journal.js';

let dir: string;
let paths: Paths;
let rule: Rule;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-examples-'));
  paths = resolvePaths({ DROPWORK_HOME: dir });
  rule = { name: 'ledger', output: path.join(dir, 'out') } as Rule;
  fs.mkdirSync(rule.output, { recursive: true });
  fs.mkdirSync(path.join(dir, 'in'), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function job(id: number, file: string): JobRow {
  return { id, file, sha256: factsOf(file).sha256 } as JobRow;
}

describe('keepExample', () => {
  it("keeps the input (from where after: moved it) and each output as the job left it, with a ledger's earlier bytes", () => {
    const ledger = path.join(rule.output, 'ledger.csv');
    const report = path.join(rule.output, 'sub', 'report.txt');
    fs.writeFileSync(ledger, 'n,t\nA,1\n');
    const before = factsOf(ledger);
    fs.appendFileSync(ledger, 'B,2\n');
    const after = factsOf(ledger);
    fs.mkdirSync(path.dirname(report));
    fs.writeFileSync(report, 'old');
    const kept = blobsFor(paths).keep(report);
    fs.writeFileSync(report, 'new');
    const input = path.join(dir, 'in', 'b.pdf');
    fs.writeFileSync(input, '%PDF-b');
    const j = job(7, input);
    const moved = path.join(dir, 'done', 'b.pdf');
    fs.mkdirSync(path.dirname(moved));
    fs.renameSync(input, moved);
    // A later job appends another row: this job's result is the ledger's first bytes.
    fs.appendFileSync(ledger, 'C,3\n');
    const changes: Change[] = [
      { kind: 'appended', path: ledger, ...after, prevSha256: before.sha256, prevSize: before.size },
      { kind: 'replaced', path: report, ...factsOf(report), prevSha256: kept.sha256, prevSize: kept.size },
      { kind: 'original', path: input, movedTo: moved, sha256: j.sha256 as string, size: 6 },
    ];
    const r = keepExample(paths, rule, j, changes);
    if (!('dir' in r)) throw new Error(r.why);
    const e = loadExample(r.dir);
    expect(e).toMatchObject({ job: 7, input: 'b.pdf', outputs: [{ path: 'ledger.csv', kind: 'appended' }, { path: 'sub/report.txt', kind: 'replaced' }] });
    expect(fs.readFileSync(inputOf(e), 'utf8')).toBe('%PDF-b');
    expect(fs.readFileSync(beforeOf(e, 'ledger.csv'), 'utf8')).toBe('n,t\nA,1\n');
    expect(fs.readFileSync(afterOf(e, 'ledger.csv'), 'utf8')).toBe('n,t\nA,1\nB,2\n');
    expect(fs.readFileSync(beforeOf(e, 'sub/report.txt'), 'utf8')).toBe('old');
    expect(fs.readFileSync(afterOf(e, 'sub/report.txt'), 'utf8')).toBe('new');
    expect(fs.existsSync(`${r.dir}.partial`)).toBe(false);
  });

  it('refuses a job whose output was since rewritten, or whose input changed, and leaves nothing behind', () => {
    const out = path.join(rule.output, 'x.txt');
    fs.writeFileSync(out, 'first');
    const made = factsOf(out);
    fs.writeFileSync(out, 'other');
    const input = path.join(dir, 'in', 'a.pdf');
    fs.writeFileSync(input, '%PDF-a');
    expect(keepExample(paths, rule, job(1, input), [{ kind: 'created', path: out, ...made }])).toEqual({ why: 'x.txt changed after the job' });
    const j = job(2, input);
    fs.writeFileSync(input, '%PDF-changed');
    expect(keepExample(paths, rule, j, [{ kind: 'created', path: out, ...factsOf(out) }])).toEqual({ why: 'the input changed after the job' });
    expect(fs.readdirSync(path.join(dir, 'examples', 'ledger'))).toEqual([]);
  });
});
