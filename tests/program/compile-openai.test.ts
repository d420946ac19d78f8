/**
 * A compile job on an OpenAI-compatible provider (a local model): the same daemon, Docker
 * sandbox and replay as compile.test.ts, with the scripted chat-completions server as the
 * model through the real `openai` client. The program it writes is replayed, approved
 * (compile: auto) and then runs new invoices at $0 without asking the model again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/program/index.js';
import { programsOf } from '../../src/program/store.js';
import type { Daemon } from '../../src/daemon.js';
import { FINAL, type JobRow } from '../../src/queue/status.js';
import { chat, startChatServer, type ChatServer } from '../support/chat-server.js';
import { REPO, drop, invoice, jobsOf, makeHome, startDaemon, waitUntil, writeConfig, writeRule } from '../agent/helpers.js';

const TASK = 'This is an invoice. Add one row invoice_number,total to ledger.csv (create it with that header if it does not exist); the total with two decimals.';
const PROGRAM = fs.readFileSync(path.join(REPO, 'tests', 'program', 'ledger-program.py'), 'utf8');
const LEARN: [string, string][] = [['AzureInterior.pdf', 'INV/2023/03/0008,279.84'], ['NetpresseInvoice.pdf', '2022089083,56.02'], ['QualityHosting.pdf', '30064443,34.73']];

let server: ChatServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  await server?.close();
  daemon = undefined;
  server = undefined;
});

async function settled(d: Daemon, pick: (j: JobRow) => boolean, what: string): Promise<JobRow> {
  let found: JobRow | undefined;
  await waitUntil(() => (found = jobsOf(d, 'ledger').find((j) => pick(j) && FINAL.includes(j.status))) !== undefined, what, 120_000);
  return found as JobRow;
}

describe('a compile job on an OpenAI-compatible provider', () => {
  it('learns from 3 agent jobs on the local model, replays them, and runs the next invoice without it', async () => {
    const home = makeHome();
    server = await startChatServer();
    writeConfig(home, { sandbox: 'docker', notify: false, providers: { local: { api: 'openai', base_url: server.url, model: 'qwen3:8b' } } });
    writeRule(home, { name: 'ledger', watch: 'inbox/ledger', output: 'outputs/ledger', files: '*.pdf', do: TASK, provider: 'local', compile: 'auto' });
    daemon = await startDaemon(home, ['ledger']);
    for (const [i, [name, row]] of LEARN.entries()) {
      server.enqueue(chat.call('write_file', i === 0 ? { path: 'output/ledger.csv', content: `invoice_number,total\n${row}\n` } : { path: 'output/ledger.csv', content: `${row}\n`, append: true }), chat.text('Added the row.'));
      if (i === LEARN.length - 1) {
        server.enqueue(
          chat.fn((req) => {
            expect(req.raw).toContain('This is a compile job');
            return chat.call('write_file', { path: 'output/program/main.py', content: PROGRAM });
          }),
          chat.text('Wrote program/main.py.'),
        );
      }
      drop(home, 'ledger', invoice(name));
      const job = await settled(daemon, (j) => j.file?.endsWith(name) === true, `the job of ${name}`);
      expect(job.status, job.reason ?? '').toBe('succeeded');
    }
    const compile = await settled(daemon, (j) => j.trigger === 'compile', 'the compile job');
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    expect(daemon.store.logs(compile.id).find((e) => e.kind === 'agent')?.message).toContain('via provider local (openai API at http://127.0.0.1:');
    expect(programsOf(daemon.store.db, 'ledger')[0]).toMatchObject({ version: 1, status: 'approved' });

    const asked = server.requests.length;
    drop(home, 'ledger', invoice('FlipkartInvoice.pdf'));
    const byProgram = await settled(daemon, (j) => j.file?.endsWith('FlipkartInvoice.pdf') === true, 'the program job');
    expect(byProgram.status, byProgram.reason ?? '').toBe('succeeded');
    expect(byProgram.runner).toBe('program');
    expect(server.requests.length).toBe(asked);
    expect(fs.readFileSync(path.join(home.outputs('ledger'), 'ledger.csv'), 'utf8').endsWith('BLR_WFLD20151000982590,319.00\n')).toBe(true);
  }, 300_000);
});
