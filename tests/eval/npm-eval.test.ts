/**
 * `npm run eval` (scripts/eval.mjs): skipped with one line when nothing is configured; with a
 * local model server under providers:, the invoices go through the extraction rule and the
 * fields are scored against their .expected.json in a markdown table. The scripted model
 * answers from the expected files themselves, but for one field it gets wrong on purpose.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { chat, startChatServer, type ChatServer } from '../support/chat-server.js';
import { REPO, invoice, makeHome, writeConfig, type Home } from '../agent/helpers.js';

const run = promisify(execFile);
const INVOICES = path.dirname(invoice('oyo.pdf'));
let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function npmEval(home: Home): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, "user"), DROPWORK_EVAL_INVOICES: INVOICES };
  delete env.ANTHROPIC_API_KEY;
  delete env.DROPWORK_EVAL_MODELS;
  return run(process.execPath, [path.join(REPO, 'scripts', 'eval.mjs')], { env, timeout: 180_000 });
}

describe('npm run eval', () => {
  it('says in one line that it was skipped when no key or server is configured', async () => {
    const home = makeHome();
    const { stdout } = await npmEval(home);
    expect(stdout).toBe(`eval skipped: no API key and no model server configured (set ANTHROPIC_API_KEY, or add providers: to ${home.paths.configFile})\n`);
  });

  it('scores the invoices\' fields per model and per field, as a markdown table', async () => {
    const home = makeHome();
    server = await startChatServer({
      onRequest: (req) => {
        if (req.body.messages.some((m) => m.role === 'tool')) return chat.text('Done.');
        const name = fs.readdirSync(INVOICES).find((n) => /\.(pdf|png)$/.test(n) && req.raw.includes(`input/${n}`)) ?? '';
        const e = JSON.parse(fs.readFileSync(path.join(INVOICES, `${name.replace(/\.\w+$/, '')}.expected.json`), 'utf8'))[0] as Record<string, unknown>;
        const fields = { issuer: e.issuer, invoice_number: e.invoice_number, date: e.date, amount: e.amount, currency: name === 'oyo.png' ? 'rupees' : e.currency };
        return chat.call('write_file', { path: 'output/fields.json', content: JSON.stringify(fields) });
      },
    });
    writeConfig(home, { sandbox: 'none', notify: false, providers: { local: { api: 'openai', base_url: server.url, model: 'qwen3:8b' } } });
    const { stdout } = await npmEval(home);
    const n = fs.readdirSync(INVOICES).filter((f) => /\.(pdf|png)$/.test(f)).length;
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^\| model +\| same \| differs \| failed \| requests \| tokens in\/out +\| cost +\| time +\| fields exact +\| fields normalised +\|$/);
    expect(lines.find((l) => l.startsWith('| local '))).toMatch(new RegExp(`\\| 0 +\\| 0 +\\| 0 +\\| ${2 * n} +\\| .*\\| ${5 * n - 1}/${5 * n} \\(\\d+%\\) +\\| ${5 * n - 1}/${5 * n} \\(\\d+%\\) +\\|$`));
    expect(stdout).toMatch(/\| currency +\| \d\/\d\/\d +\|/);
    expect(stdout).toContain('- local, oyo.png: currency expected "INR", got "rupees"');
  });
});
