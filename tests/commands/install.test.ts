/**
 * The ways the README gives to run dropwork: `node bin/dropwork.js COMMAND` inside the
 * repository (`npm start` is tested with the quick start, tests/readme-quickstart.test.ts), and
 * a `dropwork` command on the PATH from `npm install -g .` (what `npm link` does), here into a
 * temp prefix so the machine's global packages are not touched. Not `npx dropwork`: npx keeps a
 * copy in npm's cache, and one made under an older Node stays broken (issue 19).
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
  it('works as `node bin/dropwork.js` inside the repository', async () => {
    const { stdout } = await run('node', [path.join('bin', 'dropwork.js'), '--version'], { cwd: REPO, env });
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
