/**
 * The program runner's fallbacks: a program that loops is stopped like any sandboxed command,
 * one that writes another shape of output than its examples, or nothing, is not trusted; each
 * time the same job goes to the agent. Real daemon, real Docker, the loopback Messages server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/program/index.js';
import { programsOf } from '../../src/program/store.js';
import type { Daemon } from '../../src/daemon.js';
import { FINAL, type JobRow } from '../../src/queue/status.js';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { baseConfig, drop, invoice, jobsOf, makeHome, serve, startDaemon, waitUntil, writeKey, writeRule } from '../agent/helpers.js';
import { LEDGER_PROGRAM, seedProgram } from './seed.js';

let server: MessagesServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  await server?.close();
  daemon = undefined;
  server = undefined;
});

async function fallBack(program: string, maxCommandS = 3): Promise<{ job: JobRow; why: string; d: Daemon; ledger: string }> {
  const home = makeHome();
  server = await serve();
  baseConfig(home, server, { sandbox: 'docker' });
  writeKey(home);
  writeRule(home, { name: 'ledger', watch: 'inbox/ledger', output: 'outputs/ledger', files: '*.pdf', do: 'Add one row invoice_number,total to ledger.csv.', sandbox: { max_command_s: maxCommandS } });
  seedProgram(home.paths, program);
  const d = (daemon = await startDaemon(home, ['ledger']));
  server.enqueue(turn.toolUse({ name: 'write_file', input: { path: 'output/ledger.csv', content: 'invoice_number,total\nINV/2023/03/0008,279.84\n' } }), turn.text('Added.'));
  drop(home, 'ledger', invoice('AzureInterior.pdf'));
  let job: JobRow | undefined;
  await waitUntil(() => (job = jobsOf(d, 'ledger').find((j) => j.file?.endsWith(path.join('inbox', 'ledger', 'AzureInterior.pdf')) && FINAL.includes(j.status))) !== undefined, 'the job', 120_000);
  const done = job as JobRow;
  expect(done.status, done.reason ?? '').toBe('succeeded');
  expect(server.messageRequests()).toHaveLength(2);
  expect(done.runner).toBeNull();
  expect(programsOf(d.store.db, 'ledger')[0]).toMatchObject({ runs: 0, fallbacks: 1 });
  const why = d.store.logs(done.id).find((e) => e.kind === 'fallback')?.message ?? '';
  return { job: done, why, d, ledger: fs.readFileSync(path.join(home.outputs('ledger'), 'ledger.csv'), 'utf8') };
}

describe('a program that cannot be trusted with a file', () => {
  it('loops: stopped at the rule\'s command limit, and the agent does the file in the same job', async () => {
    const { why, ledger } = await fallBack('while True:\n    pass\n');
    expect(why).toMatch(/^program v1 did not do this file: it (was stopped|ran out of time)/);
    expect(ledger).toBe('invoice_number,total\nINV/2023/03/0008,279.84\n');
  }, 180_000);

  it('writes another kind of file than its examples did: nothing of it is published', async () => {
    const other = LEDGER_PROGRAM.replace('ledger = os.path.join("output", "ledger.csv")', 'ledger = os.path.join("output", "notes.txt")');
    expect(other).not.toBe(LEDGER_PROGRAM);
    const { why, d } = await fallBack(other);
    expect(why).toContain('it wrote notes.txt, unlike its examples (new *.txt)');
    expect(fs.readdirSync(d.rules[0]?.output ?? '')).toEqual(['ledger.csv']);
  }, 180_000);

  it('writes outside output/: refused by the sandbox (input/ read-only, nothing else of the host mounted)', async () => {
    const evil = [
      'import os',
      'open(os.path.join("input", "AzureInterior.pdf"), "w").write("gone")',
    ].join('\n');
    const { why, job, d } = await fallBack(`${evil}\n`);
    expect(why).toMatch(/^program v1 did not do this file: it failed \(exit 1\): .*(Permission denied|Read-only file system)/);
    // The file the job worked on is whole, and only the agent's ledger was published.
    expect(fs.readFileSync(job.file ?? '').subarray(0, 4).toString()).toBe('%PDF');
    expect(fs.readdirSync(d.rules[0]?.output ?? '')).toEqual(['ledger.csv']);
  }, 180_000);

  it('eats memory: stopped at the sandbox\'s memory limit, and the agent does the file', async () => {
    // Time enough to reach the limit (1 GiB) on a loaded machine: it is the memory that stops it.
    const { why, ledger } = await fallBack('chunks = []\nwhile True:\n    chunks.append(b"x" * (64 * 1024 * 1024))\n', 120);
    expect(why).toMatch(/^program v1 did not do this file: it was stopped: out of memory \(limit 1\.00 GiB\)/);
    expect(ledger).toBe('invoice_number,total\nINV/2023/03/0008,279.84\n');
  }, 180_000);

  it('exits 0 having written nothing', async () => {
    const { why } = await fallBack('print("nothing to do")\n');
    expect(why).toContain('it wrote nothing');
  }, 180_000);
});
