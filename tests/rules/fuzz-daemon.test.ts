import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fuzzSeeds, mutate, seeded } from '../../scripts/fuzz/fuzz.js';
import { loadRuleText } from '../../src/rules/load.js';
import { REPO, cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

const BATCHES = Number(process.env.DROPWORK_FUZZ_BATCHES ?? 100);
const FILES_PER_BATCH = 3;
const CANARY = 'name: zz-canary\nwatch: inbox/zz-canary\noutput: outputs/zz-canary\nactions:\n  - copy: "."\n';

/**
 * A mutated file may still be a valid rule; one that would watch or write outside this test's
 * home, or near the canary's folders, is not bad input but a real rule, and is not dropped in.
 */
function safeToDrop(bytes: Uint8Array, t: TestHome): boolean {
  const text = new TextDecoder('utf-8').decode(bytes);
  const { rules } = loadRuleText(text, 'probe.yaml', t.paths.home);
  const canary = [t.inbox('zz-canary'), t.output('zz-canary')];
  const near = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  return rules.every((r) => {
    const folders = [...r.watch, r.output, ...(r.input ? [r.input] : []), ...(r.after.kind === 'move' ? [r.after.folder] : [])];
    return folders.every((f) => f.startsWith(`${t.paths.home}/`) && !canary.some((c) => near(f, c)));
  });
}

describe('fuzzed rule files dropped into a running daemon', () => {
  it(`${BATCHES} batches: the daemon stays up, the plain rule keeps working, every error is located`, async () => {
    home = makeHome({ rules: { 'canary.yaml': CANARY } });
    fs.mkdirSync(home.inbox('zz-canary'), { recursive: true });
    const seeds = fuzzSeeds(REPO);
    const r = seeded(1130);
    const located = new RegExp(`^${home.paths.rulesDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[^:]+\\.yaml:\\d+:\\d+ \\S`);
    let daemon = await spawnDaemon(home);
    let dropped = 0;
    try {
      for (let batch = 0; batch < BATCHES; batch++) {
        for (let k = 0; k < FILES_PER_BATCH; k++) {
          let m = mutate(seeds.rules, r);
          for (let tries = 0; tries < 20 && !safeToDrop(m.bytes, home); tries++) m = mutate(seeds.rules, r);
          if (!safeToDrop(m.bytes, home)) continue;
          fs.writeFileSync(path.join(home.paths.rulesDir, `fuzz-${k}.yaml`), m.bytes);
          dropped++;
        }
        // Past the reload's debounce, then a file for the plain rule: it must come out.
        await new Promise((res) => setTimeout(res, 300));
        const name = `c${batch}.txt`;
        fs.writeFileSync(path.join(home.inbox('zz-canary'), name), `batch ${batch}`);
        await waitFor(() => fs.existsSync(path.join(home.output('zz-canary'), name)) || daemon.exitCode !== null, 30_000, `the canary of batch ${batch}`);
        expect(daemon.exitCode, `the daemon died in batch ${batch}:\n${daemon.output().slice(-3000)}`).toBeNull();
        if (batch % 10 === 9) {
          const status = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { running: boolean; rule_errors: string[] };
          expect(status.running).toBe(true);
          for (const e of status.rule_errors) expect(e).toMatch(located);
        }
      }
      // Every error the daemon logged about a rule file is located.
      const logged = daemon.output().split('\n').filter((l) => l.includes('rule file: '));
      for (const line of logged) expect(line.slice(line.indexOf('rule file: ') + 'rule file: '.length)).toMatch(located);
      expect(daemon.output()).not.toMatch(/uncaught|unhandled/i);

      // A restart with the broken files still there, and a broken config.yaml: it starts.
      daemon.kill('SIGTERM');
      expect(await exitOf(daemon)).toBe(0);
      fs.writeFileSync(home.paths.configFile, 'settle_ms: 150\nconcurrency: *2\n');
      daemon = await spawnDaemon(home);
      expect(daemon.output()).toContain(`config: ${home.paths.configFile}:2:14 a value that starts with * must be in quotes`);
      const status = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { config_errors: string[] };
      expect(status.config_errors).toEqual([expect.stringMatching(new RegExp(`^${home.paths.configFile}:2:14 `))]);
      fs.writeFileSync(path.join(home.inbox('zz-canary'), 'after-restart.txt'), 'x');
      await waitFor(() => fs.existsSync(path.join(home.output('zz-canary'), 'after-restart.txt')), 30_000, 'the canary after a restart');
      console.log(`fuzz (daemon): ${BATCHES} batches, ${dropped} mutated rule files dropped in, 0 crashes, ${logged.length} logged rule-file errors, all located`);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  }, 900_000);
});
