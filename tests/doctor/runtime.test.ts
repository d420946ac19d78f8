/**
 * The Node and database checks, run for real: the database probe spawns a real Node on the
 * real better-sqlite3, on a module whose native part is not a library at all, and (where the
 * machine has one, as this one does in /usr/bin) on a Node too old for better-sqlite3 13,
 * which dies of a real segfault.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseModule, probeDatabase } from '../../src/doctor/checks/database.js';
import { endOfLife, judgeNode } from '../../src/doctor/checks/node.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A package laid out like better-sqlite3 whose `.node` file is not a shared library. */
function brokenModule(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-badsqlite-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'better_sqlite3.node'), 'not an ELF file\n');
  fs.writeFileSync(path.join(dir, 'index.js'), "module.exports = require('./better_sqlite3.node');\n");
  return path.join(dir, 'index.js');
}

function nodeVersion(bin: string): string | undefined {
  try {
    return execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

describe('Node.js check', () => {
  const today = new Date('2026-11-30T12:00:00Z');

  it('passes a supported LTS and fails below engines.node, saying to reinstall', () => {
    expect(judgeNode('24.11.1', '/x/node', today)).toEqual({ status: 'pass', summary: '24.11.1 at /x/node' });
    expect(judgeNode('22.22.0', '/x/node', today).status).toBe('pass');
    const old = judgeNode('22.21.9', '/x/node', today);
    expect(old).toMatchObject({ status: 'fail', summary: '22.21.9 at /x/node; dropwork needs 22.22 or newer' });
    expect(old.fix).toContain('reinstall dropwork');
    expect(judgeNode('20.19.0', '/x/node', today).status).toBe('fail');
  });

  it('warns on an odd major and on an LTS past its end of life', () => {
    expect(judgeNode('25.2.0', '/x/node', today)).toMatchObject({ status: 'warn', summary: expect.stringContaining('odd major, never a long-term support release, and already out of support') as unknown });
    expect(judgeNode('27.0.0', '/x/node', today).summary).not.toContain('already out of support');
    expect(judgeNode('22.22.0', '/x/node', new Date('2027-05-01'))).toMatchObject({ status: 'warn', summary: '22.22.0 at /x/node: Node 22 is out of support since 2027-04-30' });
    expect(endOfLife(24).toISOString().slice(0, 10)).toBe('2028-04-30');
    expect(endOfLife(23).toISOString().slice(0, 10)).toBe('2025-06-01');
  });
});

describe('database check', () => {
  it('opens an in-memory database with the installed better-sqlite3 under this Node', async () => {
    const r = await probeDatabase(process.execPath, databaseModule());
    expect(r).toEqual({ status: 'pass', summary: expect.stringMatching(new RegExp(`^better-sqlite3 opens a database under Node ${process.versions.node.replace(/\./g, '\\.')} \\(SQLite 3\\.\\d+\\.\\d+\\)$`)) as unknown });
  });

  it('fails with the loader\'s own error when the native module is not a library', async () => {
    const r = await probeDatabase(process.execPath, brokenModule());
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/^better-sqlite3 does not load under .*: Error: .*(invalid ELF header|too short)/);
    expect(r.fix).toContain('reinstall dropwork with this Node');
  });

  it('fails when the Node is missing', async () => {
    const r = await probeDatabase('/nonexistent/node', databaseModule());
    expect(r).toMatchObject({ status: 'fail', summary: expect.stringContaining('ENOENT') as unknown });
  });

  const old = '/usr/bin/node';
  const oldVersion = nodeVersion(old);
  const tooOld = oldVersion !== undefined && Number(oldVersion.split('.')[0]) < 22;
  it.skipIf(!tooOld)(`survives better-sqlite3 13 crashing a Node that is too old (${old} ${oldVersion ?? 'absent'})`, async () => {
    const r = await probeDatabase(old, databaseModule());
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/crashed \(SIGSEGV\)|NODE_MODULE_VERSION/);
    expect(r.fix).toContain('reinstall dropwork with this Node');
  });
});
