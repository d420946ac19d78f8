/**
 * The two ways the README gives to run dropwork: `npx dropwork` inside the repository, and a
 * `dropwork` command on the PATH from `npm install -g .` (what `npm link` does), here into a
 * temp prefix so the machine's global packages are not touched.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../support/home.js';

const run = promisify(execFile);
// The Node running the tests (and its npm) first: the bin script starts with `env node`.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

let tmp: string | undefined;
afterEach(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('running dropwork', () => {
  it('works as `npx dropwork` inside the repository', async () => {
    const { stdout } = await run('npx', ['--offline', 'dropwork', '--version'], { cwd: path.join(REPO, 'rules'), env });
    expect(stdout.trim()).toBe(version);
  }, 60_000);

  it('is a command on the PATH after `npm install -g .`, from any folder', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-prefix-'));
    // --ignore-scripts: the build is already there (the global install of a folder is a link to it).
    await run('npm', ['install', '-g', '--prefix', tmp, '--ignore-scripts', '--offline', '--no-audit', '--no-fund', REPO], { cwd: REPO, env });
    const bin = path.join(tmp, 'bin');
    const { stdout } = await run('dropwork', ['--version'], { cwd: os.tmpdir(), env: { ...env, PATH: `${bin}${path.delimiter}${env.PATH}` } });
    expect(stdout.trim()).toBe(version);
  }, 120_000);
});
