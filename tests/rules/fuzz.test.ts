import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzInProcess } from '../../scripts/fuzz/fuzz.js';
import { loadConfig } from '../../src/config.js';
import { RuleSet } from '../../src/rules/registry.js';
import { REPO } from '../support/home.js';

/**
 * Thousands of mutated rule and config files through the loaders `rules check`, `doctor` and
 * the daemon use. Seeded, so a failure names a file index that reproduces with
 * `node scripts/fuzz-rules.mjs COUNT SEED`. The running-daemon half is fuzz-daemon.test.ts.
 */
describe('fuzzed rule and config files, in process', () => {
  it('never crash, always locate, and never cost the plain rule beside them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-fuzz-'));
    const count = Number(process.env.DROPWORK_FUZZ_FILES ?? 2000);
    const report = fuzzInProcess({
      count,
      seed: 20261130,
      dir,
      repo: REPO,
      loaders: { ruleSet: (d, home) => new RuleSet(d, home), loadConfig },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(report.tried).toBe(count);
    expect(report.crashes).toEqual([]);
    expect(report.unlocated).toEqual([]);
    expect(report.lostCanary).toEqual([]);
    // The mutations must actually break files, or this test proves nothing.
    expect(report.withErrors).toBeGreaterThan(count / 2);
    expect(report.slowestMs).toBeLessThan(5000);
  }, 300_000);
});
