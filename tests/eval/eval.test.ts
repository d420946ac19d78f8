/**
 * `dropwork eval` through the built CLI: a rule's real jobs (run first through the real Worker
 * on a scripted chat-completions model), then re-run on two scripted models, one that does
 * exactly what was published and one that drops a field. The report says which is which, with
 * the difference, and the home is untouched: no output, no journal entry, no job added.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chat, startChatServer, type ChatRequest, type ChatServer } from '../support/chat-server.js';
import { Harness, REPO, invoice, makeHome, writeConfig, writeRule, type Home } from '../agent/helpers.js';
import { treeHash } from '../security/helpers.js';

const run = promisify(execFile);
const TASK = 'Extract issuer, invoice_number, date and amount into output/NAME.json (NAME: the input\'s name without extension), and add a row name,amount to ledger.csv.';
const FIELDS: Record<string, { issuer: string; invoice_number: string; date: string; amount: number }> = {
  AzureInterior: { issuer: 'Azure Interior', invoice_number: 'INV/2023/03/0008', date: '2023-03-20', amount: 279.84 },
  QualityHosting: { issuer: 'Quality Hosting', invoice_number: '30064443', date: '2019-03-21', amount: 34.73 },
};

/** A model that does the task for whichever invoice the request is about; `drop` leaves a field out. */
function model(drop?: string): (req: ChatRequest) => ReturnType<typeof chat.text> {
  return (req) => {
    if (req.body.messages.some((m) => m.role === 'tool')) return chat.text('Done.');
    const name = Object.keys(FIELDS).find((n) => req.raw.includes(`input/${n}.pdf`)) ?? 'unknown';
    const fields: Record<string, unknown> = { ...FIELDS[name] };
    if (drop) delete fields[drop];
    return chat.calls([
      { name: 'write_file', args: { path: `output/${name}.json`, content: `${JSON.stringify(fields, null, 2)}\n` } },
      { name: 'write_file', args: { path: 'output/ledger.csv', content: `${name},${FIELDS[name]?.amount}\n`, append: true } },
    ]);
  };
}

let servers: ChatServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function history(): Promise<{ home: Home; exact: ChatServer; lossy: ChatServer }> {
  const home = makeHome();
  const exact = await startChatServer({ onRequest: model() });
  const lossy = await startChatServer({ onRequest: model('invoice_number') });
  servers.push(exact, lossy);
  writeConfig(home, {
    sandbox: 'none', notify: false,
    providers: { exact: { api: 'openai', base_url: exact.url, model: 'exact-1' }, lossy: { api: 'openai', base_url: lossy.url, model: 'lossy-1' } },
  });
  writeRule(home, { name: 'invoices', watch: 'inbox/invoices', output: 'outputs/invoices', do: TASK, provider: 'exact' });
  fs.mkdirSync(home.outputs('invoices'), { recursive: true });
  fs.writeFileSync(path.join(home.outputs('invoices'), 'ledger.csv'), 'name,amount\n');
  const h = new Harness(home);
  for (const name of Object.keys(FIELDS)) {
    const job = await h.run('invoices', invoice(`${name}.pdf`));
    expect(job.status, job.reason ?? '').toBe('succeeded');
  }
  await h.close();
  return { home, exact, lossy };
}

async function dropwork(home: Home, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, 'user') };
  return run(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env, timeout: 120_000 });
}

/** The history, the undo journal and what was published, as rows: they must not change. */
function dbFacts(home: Home): string {
  const db = new Database(home.paths.dbFile, { readonly: true });
  try {
    const q = (sql: string): unknown => db.prepare(sql).all();
    return JSON.stringify([q('SELECT id, status, cost_usd FROM jobs ORDER BY id'), q('SELECT COUNT(*) AS n FROM job_log'), q('SELECT COUNT(*) AS n FROM undo_journal'), q('SELECT COUNT(*) AS n FROM produced')]);
  } finally {
    db.close();
  }
}

describe('dropwork eval', () => {
  it('says which model does what was published and which drops a field, publishing and journaling nothing', async () => {
    const { home, exact, lossy } = await history();
    const before = { outputs: treeHash(home.outputs('invoices')), db: dbFacts(home) };
    const asked = { exact: exact.requests.length, lossy: lossy.requests.length };

    const { stdout, stderr } = await dropwork(home, ['eval', 'invoices', '--models', 'exact,lossy', '--last', '2']);
    expect(stderr).toContain('re-running 2 job(s) of invoices on exact, lossy; nothing is published');
    const rows = stdout.split('\n');
    expect(rows[0]).toMatch(/^\| model +\| same \| differs \| failed \| requests \| tokens in\/out +\| cost +\| time +\|$/);
    expect(rows.find((r) => r.startsWith('| exact '))).toMatch(/^\| exact +\| 2 +\| 0 +\| 0 +\| 4 +\| [\d,]+\/[\d,]+ +\| \$0\.000 +\| [\d.]+ s +\|$/);
    expect(rows.find((r) => r.startsWith('| lossy '))).toMatch(/^\| lossy +\| 0 +\| 2 +\| 0 +\| 4 +\|/);
    expect(stdout).toMatch(/- lossy, job 1 \(AzureInterior\.pdf\): differs — AzureInterior\.json: line 3: expected "\\"invoice_number\\": \\"INV\/2023\/03\/0008\\",", got "\\"date\\": \\"2023-03-20\\","/);
    expect(exact.requests.length - asked.exact).toBe(4);
    expect(lossy.requests.length - asked.lossy).toBe(4);

    // Nothing published, nothing journaled, no job added: the home is as it was.
    expect(treeHash(home.outputs('invoices'))).toEqual(before.outputs);
    expect(dbFacts(home)).toBe(before.db);
  });

  it('scores extracted fields against expected JSON, exact and normalised', async () => {
    const { home } = await history();
    const expected = path.join(home.dir, 'expected');
    fs.mkdirSync(expected);
    for (const [name, f] of Object.entries(FIELDS)) fs.writeFileSync(path.join(expected, `${name}.expected.json`), JSON.stringify([{ ...f, amount: `$${f.amount}` }]));
    const { stdout } = await dropwork(home, ['eval', 'invoices', '--models', 'exact,lossy', '--expected', expected]);
    // "$279.84" against 279.84: not exact, the same once normalised.
    expect(stdout.split('\n').find((r) => r.startsWith('| exact '))).toMatch(/\| 6\/8 \(75%\) +\| 8\/8 \(100%\) +\|$/);
    expect(stdout.split('\n').find((r) => r.startsWith('| lossy '))).toMatch(/\| 4\/8 \(50%\) +\| 6\/8 \(75%\) +\|$/);
    expect(stdout).toMatch(/\| invoice_number +\| 2\/2\/2 +\| 0\/0\/2 +\|/);
    expect(stdout).toContain('- lossy, AzureInterior.pdf: invoice_number expected "INV/2023/03/0008", got nothing');
  });
});
