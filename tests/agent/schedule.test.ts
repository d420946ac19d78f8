import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { Harness, REPO, baseConfig, filesIn, makeHome, serve, writeKey, writeRule } from './helpers.js';

const run = promisify(execFile);

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

  it('runs now with `dropwork run --rule NAME`, before its schedule fires, and says how', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server);
    writeKey(home);
    fs.mkdirSync(home.outputs('receipts'), { recursive: true });
    fs.writeFileSync(path.join(home.outputs('receipts'), 'receipts.csv'), 'date,vendor,total,currency\n2017-12-31,OYO,1939,INR\n');
    writeRule(home, { name: 'weekly-spending', schedule: '0 8 * * MON', input: 'outputs/receipts', output: 'outputs/weekly-spending', do: 'Write spending.md.' });
    writeRule(home, { name: 'sweep', schedule: '0 3 * * *', watch: 'inbox/sweep', output: 'outputs/sweep', actions: [{ copy: '.' }] });
    writeRule(home, { name: 'plain', watch: 'inbox/plain', actions: [{ copy: '.' }] });
    server.script([
      { ...turn.toolUse({ name: 'write_file', input: { path: 'output/spending.md', content: 'INR 1939\n' } }), expect: (req) => expect(JSON.stringify(req.body.messages[0])).toContain('This is a scheduled run over receipts.') },
      turn.text('Wrote spending.md.'),
    ]);
    const env = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, 'user'), DROPWORK_NOTIFY: 'off' };
    const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      run(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

    const now = await cli('run', '--rule', 'weekly-spending');
    expect(now.stdout).toContain('job 1 queued for scheduled rule "weekly-spending", now (trigger: manual; its schedule "0 8 * * MON" goes on as before)\njob 1: Done\n');
    expect(fs.readFileSync(path.join(home.outputs('weekly-spending'), 'spending.md'), 'utf8')).toBe('INR 1939\n');
    const json = JSON.parse((await cli('jobs', 'show', '1', '--json')).stdout) as { trigger: string; file: string | null };
    expect(json).toMatchObject({ trigger: 'manual', file: null });

    // A scheduled rule that sweeps inboxes takes what is waiting there, as its firing would.
    fs.mkdirSync(path.join(home.dir, 'inbox', 'sweep'), { recursive: true });
    fs.writeFileSync(path.join(home.dir, 'inbox', 'sweep', 'a.txt'), 'a');
    fs.writeFileSync(path.join(home.dir, 'inbox', 'sweep', 'b.txt'), 'b');
    const swept = await cli('run', '--rule', 'sweep');
    expect(swept.stdout).toContain(`scheduled rule "sweep", now (trigger: manual): 2 file(s) in ${path.join(home.dir, 'inbox', 'sweep')}, 2 job(s) queued`);
    expect(filesIn(home.outputs('sweep'))).toEqual(['a.txt', 'b.txt']);

    expect(await cli('run', '--rule', 'plain')).toMatchObject({ code: 1, stderr: 'dropwork: rule "plain" has no schedule: run it on a file with: dropwork run FILE --rule plain\n' });
    expect(await cli('run')).toMatchObject({ code: 1, stderr: 'dropwork: name a FILE to run, or a scheduled rule to run now with --rule NAME\n' });
    expect(server.pending).toBe(0);
  }, 60_000);
});
