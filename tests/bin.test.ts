/** The installed command itself: its Node gate and its version, spawned as a person runs them. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'dropwork.js');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('bin/dropwork.js', () => {
  it('prints package.json\'s version for -v and --version', () => {
    for (const flag of ['-v', '--version']) {
      expect(execFileSync(process.execPath, [BIN, flag], { encoding: 'utf8' })).toBe(`${pkg.version}\n`);
    }
  });

  const old = '/usr/bin/node';
  const oldMajor = fs.existsSync(old) ? Number(execFileSync(old, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0]) : undefined;
  it.skipIf(oldMajor === undefined || oldMajor >= 22)(`refuses a Node that is too old (${old}) before loading the database module`, () => {
    const r = spawnSync(old, [BIN, 'status'], { encoding: 'utf8' });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^dropwork: Node\.js 2\d\.\d+\.\d+ \(\/usr\/bin\/node\) is too old; dropwork .* needs Node\.js 22\.22 or newer/);
    // This is a clone: the way out is a newer Node first on PATH and npm ci, not npm i -g.
    expect(r.stderr).toContain('In this repository, run `source scripts/setup/node.sh` to put Node.js 24 first on PATH');
    expect(r.stderr).toContain('then `npm ci` again');
    expect(r.stderr).not.toContain('npm i -g');
    expect(r.stdout).toBe('');
  });

  it.skipIf(oldMajor === undefined || oldMajor >= 22)('tells an installed dropwork (no git checkout) to reinstall it with a current Node', () => {
    const pkgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-installed-'));
    try {
      fs.mkdirSync(path.join(pkgDir, 'bin'));
      fs.copyFileSync(BIN, path.join(pkgDir, 'bin', 'dropwork.js'));
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkgDir, 'package.json'));
      const r = spawnSync(old, [path.join(pkgDir, 'bin', 'dropwork.js'), 'status'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('reinstall dropwork with it (npm i -g dropwork)');
      expect(r.stderr).not.toContain('node.sh');
    } finally {
      fs.rmSync(pkgDir, { recursive: true, force: true });
    }
  });
});
