import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { recorder } from '../../src/agent/transcript.js';
import { Harness, KEY, REPO, baseConfig, invoice, makeHome, serve, writeKey, writeRule } from './helpers.js';

const run = promisify(execFile);

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

describe('the transcript', () => {
  it('reads as a conversation in `dropwork jobs show`, with usage and cost, and no key', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server);
    writeKey(home);
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Add the receipt to receipts.csv.' });
    const big = 'x'.repeat(5000);
    server.script([
      turn.toolUse([
        { name: 'read_file', input: { path: 'input/nope.txt' } },
        { name: 'write_file', input: { path: 'output/receipts.csv', content: `date,vendor\n2017-12-31,OYO\n${big}` } },
      ], 'Reading the receipt: OYO, 31 Dec 2017.'),
      turn.text(`Added OYO to receipts.csv. ${KEY}`),
    ]);
    h = new Harness(home);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    await h.close();
    h = undefined;

    const env = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, 'user') };
    const cli = (...args: string[]) => run(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env });
    const { stdout } = await cli('jobs', 'show', String(job.id));
    const lines = stdout.split('\n');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    // In order: setup, prompt, first turn's usage, the model's words, calls and results, the end.
    const order = [
      /agent +model claude-sonnet-5-5 via http:\/\/127\.0\.0\.1:\d+, key from credentials\.env; tools: list_files, read_file, write_file/,
      /prompt +Today is \d{4}-\d\d-\d\d\./,
      /usage +turn 1: \d+ in, 0 cache read, \d+ cache write, \d+ out; \$0\.\d+ \(job \$0\.\d+\)/,
      /assistant +Reading the receipt: OYO, 31 Dec 2017\./,
      /tool +→ read_file \{"path":"input\/nope.txt"\}/,
      /result +← error: read_file failed: input\/nope.txt does not exist/,
      /tool +→ write_file \{"path":"output\/receipts.csv","content":"date,vendor\\n2017-12-31,OYO\\nxxx.*\(5027 chars\)"\}/,
      /result +← wrote output\/receipts.csv \(5027 bytes\)/,
      /usage +turn 2: \d+ in, \d+ cache read, \d+ cache write/,
      /assistant +Added OYO to receipts.csv\./,
      /outputs +to publish: receipts.csv/,
      /published +.*receipts\.csv/,
    ].map(at);
    expect(order.map((i, n) => (i < 0 ? n : -1)).filter((n) => n >= 0), stdout).toEqual([]);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(stdout).toContain('prompt     Today is');
    expect(stdout).toContain('                    The file is input/oyo.pdf (PDF, 23.9 KB, 1 page), attached as a document above.');
    expect(stdout).toMatch(/usage: +\d+ in \(\+ \d+ cache read, \d+ cache write\) \/ \d+ out tokens, \$0\.\d{4}/);
    expect(stdout).not.toContain(KEY);

    const json = JSON.parse((await cli('jobs', 'show', String(job.id), '--json')).stdout) as { usage: { cache_write_tokens: number; cost_usd: number }; log: { kind: string; data: unknown }[] };
    expect(json.usage.cache_write_tokens).toBeGreaterThan(0);
    const call = json.log.find((e) => e.kind === 'tool_call' && JSON.stringify(e.data).includes('write_file'));
    expect(JSON.stringify(call?.data)).toContain('characters left out'); // big arguments are cut in the history
    expect(JSON.stringify(json.log)).not.toContain(KEY);

    const list = (await cli('jobs')).stdout;
    expect(list).toMatch(new RegExp(`${job.id} +Done +receipts +oyo\\.pdf .*\\$0\\.\\d{3}`));
    expect((await cli('status')).stdout).toMatch(/spent today: \$0\.\d\d/);
  });

  it('masks a key from credentials.env that has no recognisable shape, and cuts big values', () => {
    const home = makeHome();
    writeKey(home, 'proxy-token-7f3a9c2e5b');
    const steps: { message: string; data: unknown }[] = [];
    const record = recorder({ paths: home.paths, step: (_kind, message, data) => steps.push({ message, data }) });
    record('assistant', 'the header was proxy-token-7f3a9c2e5b', { nested: ['Bearer proxy-token-7f3a9c2e5b'], big: 'y'.repeat(10_000), image: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(4000) } });
    expect(steps[0]?.message).toBe('the header was …redacted');
    const data = JSON.stringify(steps[0]?.data);
    expect(data).not.toContain('proxy-token');
    expect(data).toContain('characters left out');
    expect(data).toContain('[3000 bytes, not kept]');
  });
});
