/**
 * A clone alone runs the suite: the invoices the tests and benchmarks read are in the repository
 * (tests/fixtures/invoices, with their licence), and nothing reads a folder beside it (CI once
 * needed ../shared next to the clone, and a fresh clone failed 41 tests without it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, invoice } from './agent/helpers.js';

/** The files a clone gets: what git tracks. */
const tracked = (): string[] => execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);

const saved = process.env.DROPWORK_FIXTURES;
afterEach(() => {
  if (saved === undefined) delete process.env.DROPWORK_FIXTURES;
  else process.env.DROPWORK_FIXTURES = saved;
});

describe('the repository carries its fixtures', () => {
  it('every invoice a test or benchmark names is tracked under tests/fixtures/invoices, with its licence, and invoice() finds it there', () => {
    const files = tracked();
    const named = new Set<string>();
    for (const f of files.filter((f) => /^(tests|scripts)\/.*\.(ts|mjs)$/.test(f))) {
      const text = fs.readFileSync(path.join(REPO, f), 'utf8');
      if (!/\binvoice\(|\bINVOICES\b/.test(text)) continue;
      for (const m of text.matchAll(/\b(?:invoice\(|\[)'([\w-]+\.(?:pdf|png))'/g)) named.add(m[1] as string);
    }
    expect(named.size).toBeGreaterThan(4);
    const carried = new Set(files.filter((f) => f.startsWith('tests/fixtures/invoices/')).map((f) => path.basename(f)));
    for (const name of [...named, 'LICENSE-invoice2data.txt', 'README.md']) expect(carried, name).toContain(name);

    delete process.env.DROPWORK_FIXTURES;
    expect(invoice('AzureInterior.pdf')).toBe(path.join(REPO, 'tests', 'fixtures', 'invoices', 'AzureInterior.pdf'));
    // The override still works, for a copy kept elsewhere.
    process.env.DROPWORK_FIXTURES = '/elsewhere/fixtures';
    expect(() => invoice('AzureInterior.pdf')).toThrow('fixture missing: /elsewhere/fixtures/invoices/AzureInterior.pdf');
  });

  it('no tracked file reads a folder beside the repository', () => {
    const beside = /\.\.\/shared\b|'\.\.', 'shared'/;
    const readers = tracked()
      .filter((f) => f !== 'tests/repo-fixtures.test.ts' && !/\.(pdf|png|heic|db)$/.test(f))
      .filter((f) => beside.test(fs.readFileSync(path.join(REPO, f), 'utf8')));
    expect(readers).toEqual([]);
  });
});
