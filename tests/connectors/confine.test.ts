/**
 * A stdio connector whose program lives under /tmp (a checkout there, as CI's clone may be): the
 * confinement empties /tmp and /run, and puts the program's package back, read-only. Real
 * bubblewrap; the program is a real Node script that imports a module of its package.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { confine, probeConfinement, programFolders } from '../../src/connectors/confine.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** /tmp/dropwork-prog-*: a package with a module in node_modules and a server in a subfolder. */
function packageInTmp(): { root: string; server: string } {
  const root = fs.mkdtempSync(path.join('/tmp', 'dropwork-prog-'));
  made.push(root);
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"prog","type":"module"}\n');
  fs.mkdirSync(path.join(root, 'node_modules', 'greeting'), { recursive: true });
  fs.writeFileSync(path.join(root, 'node_modules', 'greeting', 'package.json'), '{"name":"greeting","type":"module","main":"index.js"}\n');
  fs.writeFileSync(path.join(root, 'node_modules', 'greeting', 'index.js'), 'export const hello = "hello from the package";\n');
  fs.mkdirSync(path.join(root, 'bin'));
  const server = path.join(root, 'bin', 'server.mjs');
  fs.writeFileSync(server, 'import { hello } from "greeting";\nimport fs from "node:fs";\nconsole.log(hello);\nconsole.log(fs.readdirSync("/tmp").join(","));\n');
  return { root, server };
}

describe('a stdio connector kept under /tmp', () => {
  it('binds back the outermost package of a path under /tmp, and nothing for paths elsewhere', () => {
    const { root, server } = packageInTmp();
    expect(programFolders([process.execPath, server, '--flag', '/usr/bin/env'])).toEqual([root]);
    expect(programFolders(['/tmp/no-such-dropwork-file'])).toEqual([]);
  });

  it.runIf(probeConfinement().ok)('runs confined: its package is there, read-only, and nothing else of /tmp', () => {
    const { root, server } = packageInTmp();
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-other-'));
    made.push(other);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-scratch-'));
    made.push(scratch);
    const c = confine({ command: process.execPath, args: [server], secrets: {}, scratch, hide: [] });
    const r = spawnSync(c.command, c.args, { env: c.env, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    const [said, tmp] = r.stdout.trim().split('\n');
    expect(said).toBe('hello from the package');
    // The program's package and its scratch folder, not the other folders of /tmp.
    expect((tmp ?? '').split(',').sort()).toEqual([path.basename(root), path.basename(scratch)].sort());
    // Its package is there read-only ($0 is the package's folder, bound back as a path argument).
    const sh = confine({ command: '/bin/sh', args: ['-c', 'ls "$0/package.json" && echo x > "$0/written"', root], secrets: {}, scratch, hide: [] });
    const write = spawnSync(sh.command, sh.args, { env: sh.env, encoding: 'utf8' });
    expect(write.stdout.trim()).toBe(path.join(root, 'package.json'));
    expect(write.stderr).toMatch(/Read-only file system/);
    expect(fs.existsSync(path.join(root, 'written'))).toBe(false);
  });
});
