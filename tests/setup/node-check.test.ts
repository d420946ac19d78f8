/**
 * The Node check `npm ci` runs first in a clone (scripts/setup/node-check, packed as
 * scripts/setup/dropwork-node-check-1.0.0.tgz, the dev dependency npm installs): the tarball
 * is that folder, and under a Node too old for dropwork it says the one sentence and fails.
 * It is not in package.json's allowScripts: npm 11.19 matches a file: dependency there only by
 * its absolute path, so `npm ci` notes its preinstall as "not yet covered by allowScripts" (and
 * runs it all the same).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/home.js';

const SOURCE = path.join(REPO, 'scripts', 'setup', 'node-check');
const TARBALL = path.join(REPO, 'scripts', 'setup', 'dropwork-node-check-1.0.0.tgz');

describe('the Node check of npm ci', () => {
  it('is packed from scripts/setup/node-check as it is now (npm pack scripts/setup/node-check --pack-destination scripts/setup)', () => {
    const packed = execFileSync('tar', ['-tzf', TARBALL], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(packed).toEqual(fs.readdirSync(SOURCE).map((f) => `package/${f}`).sort());
    for (const f of fs.readdirSync(SOURCE)) {
      expect(execFileSync('tar', ['-xzOf', TARBALL, `package/${f}`], { encoding: 'utf8' }), f).toBe(fs.readFileSync(path.join(SOURCE, f), 'utf8'));
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['dropwork-node-check']).toBe('file:scripts/setup/dropwork-node-check-1.0.0.tgz');
  });

  it('says how to get Node 24 in one sentence and fails under a Node older than engines.node; passes silently under this one', () => {
    const env = { ...process.env, npm_config_local_prefix: REPO };
    // The machine's own node is 20 here; a fake older version is not needed where it is.
    const old = ['/usr/bin/node', '/bin/node'].find((n) => fs.existsSync(n) && Number(execFileSync(n, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })) < 22);
    if (old) {
      const r = spawnSync(old, [path.join(SOURCE, 'check.cjs')], { env, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^dropwork needs Node\.js 22\.22 or newer and this is Node\.js 2\d\.[\d.]+ \(.+\): run `source scripts\/setup\/node\.sh` to put Node\.js 24 first on PATH in this shell \(or install Node\.js 24 from https:\/\/nodejs\.org\), then run the same command again\.\n$/);
    }
    const ok = spawnSync(process.execPath, [path.join(SOURCE, 'check.cjs')], { env, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe('');
  });
});
