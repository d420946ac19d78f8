import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { REPO, baseConfig, invoice, makeHome, serve, writeKey, writeRule } from './helpers.js';

const run = promisify(execFile);
let server: MessagesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('`dropwork run FILE` without a daemon', () => {
  it('runs an if: + do: job in the CLI process and publishes its output', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server);
    writeKey(home);
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', if: 'it is a receipt', do: 'Write the vendor to output/vendor.txt.' });
    server.script([
      turn.forcedTool({ match: true, reason: 'A hotel receipt.' }),
      turn.toolUse({ name: 'write_file', input: { path: 'output/vendor.txt', content: 'OYO\n' } }),
      turn.text('Wrote vendor.txt.'),
    ]);
    const env = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, 'user'), DROPWORK_NOTIFY: 'off' };
    const { stdout } = await run(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), 'run', invoice('oyo.pdf'), '--rule', 'receipts'], { env });
    expect(stdout).toContain('job 1 queued for rule "receipts"');
    expect(stdout).toMatch(/job 1: Done\n {2}.*outputs\/receipts\/vendor\.txt/);
    expect(fs.readFileSync(path.join(home.outputs('receipts'), 'vendor.txt'), 'utf8')).toBe('OYO\n');
    expect(server.pending).toBe(0);
  });

  it('holds an approve: always job with nothing published until `dropwork jobs approve`', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server);
    writeKey(home);
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', approve: 'always', do: 'Add the receipt to receipts.csv.' });
    fs.mkdirSync(home.outputs('receipts'), { recursive: true });
    const ledger = path.join(home.outputs('receipts'), 'receipts.csv');
    fs.writeFileSync(ledger, 'date,vendor\n');
    server.script([turn.toolUse({ name: 'write_file', input: { path: 'output/receipts.csv', content: '2017-12-31,OYO\n', append: true } }), turn.text('Added.')]);
    const env = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, 'user'), DROPWORK_NOTIFY: 'off' };
    const cli = (...args: string[]) => run(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env });
    const held = await cli('run', invoice('oyo.pdf'), '--rule', 'receipts');
    expect(held.stdout).toContain('job 1: Needs approval (dropwork jobs approve 1, or jobs deny 1)');
    expect(fs.readFileSync(ledger, 'utf8')).toBe('date,vendor\n');
    expect((await cli('jobs', 'show', '1')).stdout).toContain(`will publish ${ledger}`);
    await cli('jobs', 'approve', '1');
    expect(fs.readFileSync(ledger, 'utf8')).toBe('date,vendor\n2017-12-31,OYO\n');
    expect(fs.readdirSync(home.outputs('receipts'))).toEqual(['receipts.csv']);
  });
});
