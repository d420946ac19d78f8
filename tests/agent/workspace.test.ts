import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from '../../src/agent/tool.js';
import { listFiles } from '../../src/agent/tools/list_files.js';
import { readFile } from '../../src/agent/tools/read_file.js';
import { writeFile } from '../../src/agent/tools/write_file.js';
import { collectOutputs, materializeOutputs } from '../../src/agent/workspace/outputs.js';
import { parseModelPath } from '../../src/agent/workspace/resolve.js';
import { openWorkspace } from '../../src/agent/workspace/workspace.js';
import { publish } from '../../src/publish/publish.js';
import type { JobRow } from '../../src/queue/status.js';
import { ToolError } from '../../src/errors.js';
import { invoice } from './helpers.js';
import { workspaceFor } from './workspace-helpers.js';

const call = (tool: typeof readFile | typeof writeFile | typeof listFiles, input: unknown, ctx: Parameters<typeof runTool>[3]) =>
  runTool(tool as never, tool.name, input, ctx);

describe('paths the model names', () => {
  it.each([
    ['../x', 'leads outside the workspace'],
    ['output/../../x', 'leads outside the workspace'],
    ['/etc/passwd', 'is not inside the workspace'],
    ['~/x', 'is not inside the workspace'],
    ['C:\\x', 'is not inside the workspace'],
    ['..\\..\\x', 'leads outside the workspace'],
    ['secrets/x', 'only input/ and output/'],
    ['a\0b', 'NUL'],
  ])('refuses %j', (raw, why) => {
    expect(() => parseModelPath(raw, 'read')).toThrow(ToolError);
    expect(() => parseModelPath(raw, 'read')).toThrow(why);
  });

  it('takes what stays inside, and writes only into output/', () => {
    expect(parseModelPath('output/../input/a.pdf', 'read')).toEqual({ area: 'input', rel: 'a.pdf', shown: 'input/a.pdf' });
    expect(parseModelPath('./output//covers/x.md', 'write')).toEqual({ area: 'output', rel: 'covers/x.md', shown: 'output/covers/x.md' });
    expect(parseModelPath('', 'read').area).toBe('root');
    expect(() => parseModelPath('input/a.pdf', 'write')).toThrow('input/ is read-only');
    expect(() => parseModelPath('output', 'write')).toThrow('is a folder');
  });
});

describe('links a command may plant in output/', () => {
  it('are never read or written through, and never published', async () => {
    const b = await workspaceFor(invoice('oyo.pdf'));
    fs.writeFileSync(path.join(b.dir, 'host-secret.txt'), 'secret');
    fs.symlinkSync(path.join(b.dir, 'host-secret.txt'), path.join(b.ws.output, 'leak.txt'));
    fs.symlinkSync(b.dir, path.join(b.ws.output, 'hostdir'));
    fs.writeFileSync(path.join(b.ws.output, 'real.txt'), 'mine');
    fs.symlinkSync('real.txt', path.join(b.ws.output, 'alias.txt'));

    const read = await call(readFile, { path: 'output/leak.txt' }, b.ctx);
    expect(read).toEqual({ isError: true, content: expect.stringContaining('is a symbolic link; links are never followed') });
    expect(String(read.content)).not.toContain('secret');
    expect((await call(readFile, { path: 'output/hostdir/host-secret.txt' }, b.ctx)).isError).toBe(true);
    expect((await call(listFiles, { path: 'output/hostdir' }, b.ctx)).isError).toBe(true);
    // Not even a link that stays inside is followed: one rule, no judging where a link leads.
    expect(await call(readFile, { path: 'output/alias.txt' }, b.ctx)).toEqual({ isError: true, content: expect.stringContaining('symbolic link') });
    const write = await call(writeFile, { path: 'output/hostdir/new.txt', content: 'x' }, b.ctx);
    expect(write).toEqual({ isError: true, content: expect.stringContaining('hostdir is a symbolic link; links are never followed') });
    expect(fs.existsSync(path.join(b.dir, 'new.txt'))).toBe(false);

    const { staged, ignored } = await collectOutputs(b.ws, b.rule);
    expect(staged.map((s) => path.basename(s.dest))).toEqual(['real.txt']);
    expect(ignored.map((i) => i.path).sort()).toEqual(['alias.txt', 'hostdir', 'leak.txt']);
  });
});

describe('output/ over the outputs folder', () => {
  it('shows the outputs folder through, stages only new or changed files, and says which ones replace', async () => {
    const b = await workspaceFor(invoice('oyo.pdf'), { onConflict: 'rename' });
    fs.mkdirSync(path.join(b.outputs, 'covers'));
    fs.writeFileSync(path.join(b.outputs, 'receipts.csv'), 'date,total\n');
    fs.writeFileSync(path.join(b.outputs, 'covers', 'old.md'), 'old');
    fs.writeFileSync(path.join(b.outputs, 'notes.txt'), 'notes');

    expect((await call(listFiles, { path: 'output' }, b.ctx)).content).toBe('output/:\ncovers/  folder\nnotes.txt  file  5 B\nreceipts.csv  file  11 B');
    expect((await call(readFile, { path: 'output/covers/old.md' }, b.ctx)).content).toContain('old');
    expect((await call(writeFile, { path: 'output/receipts.csv', content: '2017-12-31,1939\n', append: true }, b.ctx)).content).toBe('appended to output/receipts.csv (27 bytes now, +16)');
    expect((await call(writeFile, { path: 'output/covers/new.md', content: '# new' }, b.ctx)).content).toBe('wrote output/covers/new.md (5 bytes)');
    expect((await call(writeFile, { path: 'output/notes.txt', content: 'replaced' }, b.ctx)).content).toBe('replaced output/notes.txt (8 bytes)');
    // A command needs real files: the rest of the outputs folder is copied, unchanged copies stay unpublished.
    expect(materializeOutputs(b.ws)).toEqual({ copied: 1, left: 0 });
    expect(fs.readFileSync(path.join(b.ws.output, 'covers', 'old.md'), 'utf8')).toBe('old');

    const { staged } = await collectOutputs(b.ws, b.rule);
    const byName = Object.fromEntries(staged.map((s) => [path.relative(b.outputs, s.dest), s.onConflict]));
    expect(byName).toEqual({ 'receipts.csv': 'overwrite', 'notes.txt': 'overwrite', 'covers/new.md': 'rename' });
    expect(fs.readFileSync(path.join(b.ws.output, 'receipts.csv'), 'utf8')).toBe('date,total\n2017-12-31,1939\n');
    // Nothing touched the real folder: publishing is the pipeline's job.
    expect(fs.readFileSync(path.join(b.outputs, 'receipts.csv'), 'utf8')).toBe('date,total\n');
  });

  it('keeps input/ read-only and the dropped file byte for byte', async () => {
    const b = await workspaceFor(invoice('oyo.pdf'));
    const copy = path.join(b.ws.input, 'oyo.pdf');
    expect(fs.readFileSync(copy).equals(fs.readFileSync(invoice('oyo.pdf')))).toBe(true);
    expect(fs.statSync(copy).mode & 0o222).toBe(0);
    expect((await call(writeFile, { path: 'input/oyo.pdf', content: 'x' }, b.ctx)).isError).toBe(true);
  });
});

describe('two jobs on one ledger', () => {
  /** A second job's workspace over the same outputs folder. */
  async function second(b: Awaited<ReturnType<typeof workspaceFor>>, id: number) {
    const job = { id, file: null, sha256: null, trigger: 'schedule' } as JobRow;
    const ws = await openWorkspace({ job, rule: b.rule, workdir: path.join(b.dir, `job${id}`) });
    return { ...b.ctx, ws };
  }

  it('a rewrite that keeps what the job read and adds to it is published as an addition; any other rewrite of a changed file is a conflict', async () => {
    const b = await workspaceFor(null);
    const ledger = path.join(b.outputs, 'ledger.csv');
    fs.writeFileSync(ledger, 'name\n');
    const a = b.ctx;
    const other = await second(b, 2);
    expect((await call(readFile, { path: 'output/ledger.csv' }, a)).content).toContain('name');
    // Meanwhile another job adds its row and is published.
    await call(writeFile, { path: 'output/ledger.csv', content: 'row-b\n', append: true }, other);
    publish((await collectOutputs(other.ws, b.rule)).staged);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('name\nrow-b\n');
    // The first job writes back what it read plus its own row (no append flag): row-b survives.
    await call(writeFile, { path: 'output/ledger.csv', content: 'name\nrow-a\n' }, a);
    publish((await collectOutputs(a.ws, b.rule)).staged);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('name\nrow-b\nrow-a\n');

    // A job that read it, then rewrites it otherwise, after another job changed it: refused.
    const c = await second(b, 3);
    const d = await second(b, 4);
    await call(readFile, { path: 'output/ledger.csv' }, c);
    await call(writeFile, { path: 'output/ledger.csv', content: 'row-d\n', append: true }, d);
    publish((await collectOutputs(d.ws, b.rule)).staged);
    await call(writeFile, { path: 'output/ledger.csv', content: 'NAME\nrow-c\n' }, c);
    const staged = (await collectOutputs(c.ws, b.rule)).staged;
    expect(() => publish(staged)).toThrow(/^conflict: .*ledger\.csv was changed by another job after this job read it/);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('name\nrow-b\nrow-a\nrow-d\n');
  });
});
