import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { Harness, baseConfig, filesIn, makeHome, serve, writeKey, writeRule } from './helpers.js';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

describe('a scheduled rule', () => {
  it('runs with no file: its input/ is a read-only copy of the rule\'s input folder', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server);
    writeKey(home);
    const ledger = 'date,vendor,total,currency\n2017-12-31,OYO,1939,INR\n2015-10-20,Flipkart,319,INR\n';
    fs.mkdirSync(home.outputs('receipts'), { recursive: true });
    fs.writeFileSync(path.join(home.outputs('receipts'), 'receipts.csv'), ledger);
    writeRule(home, {
      name: 'weekly-spending', schedule: '0 8 * * MON', input: 'outputs/receipts', output: 'outputs/weekly-spending',
      do: 'Read receipts.csv and write spending.md with the total per currency.',
    });
    server.script([
      {
        ...turn.toolUse({ name: 'read_file', input: { path: 'input/receipts.csv' } }),
        expect: (req) => {
          const text = JSON.stringify(req.body.messages[0]);
          expect(text).toContain('This is a scheduled run over receipts.');
          expect(text).toContain('receipts.csv  file');
          expect(text).not.toContain('"document"');
        },
      },
      {
        ...turn.toolUse([
          { name: 'write_file', input: { path: 'input/receipts.csv', content: 'tampered' } },
          { name: 'write_file', input: { path: 'output/spending.md', content: '# Spending\nINR 2258\n' } },
        ]),
        expect: (req) => expect(JSON.stringify(req.body.messages.at(-1))).toContain('2015-10-20,Flipkart,319,INR'),
      },
      { ...turn.text('Wrote spending.md.'), expect: (req) => expect(JSON.stringify(req.body.messages.at(-1))).toContain('input/ is read-only') },
    ]);
    h = new Harness(home);
    const row = h.store.enqueue({ rule: 'weekly-spending', file: null, sha256: null, trigger: 'schedule', dedupe: false, payload: {} });
    if (!row) throw new Error('not queued');
    h.worker.wake();
    const job = await h.settled(row.id);
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(filesIn(home.outputs('weekly-spending'))).toEqual(['spending.md']);
    expect(fs.readFileSync(path.join(home.outputs('receipts'), 'receipts.csv'), 'utf8')).toBe(ledger);
  });
});
