import fs from 'node:fs';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesRequest, type MessagesServer } from '../support/messages-server.js';
import { Harness, KEY, baseConfig, filesIn, invoice, makeHome, serve, writeConfig, writeKey, writeRule, type Home } from './helpers.js';

const RECEIPT_TASK = 'This is a receipt. Add one row date,vendor,total,currency to receipts.csv (create it with that header if it does not exist).';
const oyo = JSON.parse(fs.readFileSync(invoice('oyo.expected.json'), 'utf8'))[0] as { issuer: string; amount: number; date: string; currency: string };
const row = `${oyo.date},${oyo.issuer},${oyo.amount},${oyo.currency}`;

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

async function setup(rule: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<{ home: Home; h: Harness; server: MessagesServer }> {
  const home = makeHome();
  server = await serve();
  baseConfig(home, server, config);
  writeKey(home);
  writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: RECEIPT_TASK, ...rule });
  h = new Harness(home);
  return { home, h, server };
}

function blocks(req: MessagesRequest, i = 0): Anthropic.ContentBlockParam[] {
  const content = req.body.messages[i]?.content;
  return typeof content === 'string' ? [{ type: 'text', text: content }] : (content as Anthropic.ContentBlockParam[]);
}

function toolResults(req: MessagesRequest): Anthropic.ToolResultBlockParam[] {
  return blocks(req, req.body.messages.length - 1).filter((b): b is Anthropic.ToolResultBlockParam => b.type === 'tool_result');
}

function resultText(r: Anthropic.ToolResultBlockParam): string {
  return typeof r.content === 'string' ? r.content : (r.content ?? []).map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join(' ');
}

describe('a receipt job', () => {
  it('sends the PDF as a document in the first request, and the write reaches the outputs folder', async () => {
    const { home, h, server } = await setup();
    const pdf = fs.readFileSync(invoice('oyo.pdf'));
    server.script([
      { ...turn.toolUse({ name: 'write_file', input: { path: 'output/receipts.csv', content: `date,vendor,total,currency\n${row}\n` } }) },
      turn.text('Added the OYO receipt to receipts.csv.'),
    ]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');

    const [first, second] = server.messageRequests();
    expect(server.messageRequests()).toHaveLength(2);
    const doc = blocks(first as MessagesRequest).find((b) => b.type === 'document') as Anthropic.DocumentBlockParam;
    expect(doc.source).toEqual({ type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') });
    const text = blocks(first as MessagesRequest).filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlockParam).text).join('\n');
    expect(text).toContain('input/oyo.pdf (PDF, 23.9 KB, 1 page), attached as a document above');
    expect(text).toContain(RECEIPT_TASK);
    expect(text).toContain('output/ is empty.');
    // The stable prefix is cached: system and tools carry the marker; run_command is not offered without a sandbox.
    expect(first?.body.system).toEqual([expect.objectContaining({ cache_control: { type: 'ephemeral' } })]);
    expect(first?.body.tools?.map((t) => (t as { name: string }).name)).toEqual(['list_files', 'read_file', 'write_file']);
    expect(first?.headers['authorization'] ?? first?.headers['x-api-key']).toContain(KEY);
    expect(toolResults(second as MessagesRequest)[0]?.is_error).toBeUndefined();

    expect(fs.readFileSync(path.join(home.outputs('receipts'), 'receipts.csv'), 'utf8')).toBe(`date,vendor,total,currency\n${row}\n`);
    expect(JSON.parse(job.outputs)).toEqual([path.join(home.outputs('receipts'), 'receipts.csv')]);
    expect(job.input_tokens + job.cache_read_tokens + job.cache_write_tokens).toBeGreaterThan(1000);
    expect(job.cost_usd).toBeGreaterThan(0);
    expect(h.kinds(job.id)).toEqual(expect.arrayContaining(['agent', 'prompt', 'usage', 'tool_call', 'tool_result', 'assistant', 'outputs', 'published']));
    // The key never reaches the history.
    expect(JSON.stringify(h.store.logs(job.id))).not.toContain(KEY);
  });

  it('appends to a ledger already in the outputs folder and replaces it, keeping its rows', async () => {
    const { home, h, server } = await setup();
    fs.mkdirSync(home.outputs('receipts'), { recursive: true });
    fs.writeFileSync(path.join(home.outputs('receipts'), 'receipts.csv'), 'date,vendor,total,currency\n2015-10-20,Flipkart,319,INR\n');
    server.script([
      {
        ...turn.toolUse({ name: 'write_file', input: { path: 'output/receipts.csv', content: `${row}\n`, append: true } }),
        expect: (req) => expect(JSON.stringify(req.body.messages[0])).toContain('receipts.csv  file'),
      },
      turn.text('Appended.'),
    ]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(filesIn(home.outputs('receipts'))).toEqual(['receipts.csv']);
    expect(fs.readFileSync(path.join(home.outputs('receipts'), 'receipts.csv'), 'utf8')).toBe(`date,vendor,total,currency\n2015-10-20,Flipkart,319,INR\n${row}\n`);
  });

  it('takes ANTHROPIC_AUTH_TOKEN and ANTHROPIC_BASE_URL from the environment, as the SDK does', async () => {
    const home = makeHome();
    server = await serve();
    writeConfig(home, { sandbox: 'none', notify: false });
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: RECEIPT_TASK });
    process.env.ANTHROPIC_AUTH_TOKEN = KEY;
    process.env.ANTHROPIC_BASE_URL = server.url;
    try {
      server.script([turn.text('Nothing to do.')]);
      h = new Harness(home);
      const job = await h.run('receipts', invoice('oyo.pdf'));
      expect(job.status, job.reason ?? '').toBe('succeeded');
      expect(server.messageRequests()[0]?.headers['authorization']).toBe(`Bearer ${KEY}`);
      expect(h.log(job.id, 'agent')[0]).toContain('key from environment');
    } finally {
      delete process.env.ANTHROPIC_AUTH_TOKEN;
      delete process.env.ANTHROPIC_BASE_URL;
    }
  });

  it('sends the extracted text instead of the PDF for a provider without PDF support', async () => {
    const { h, server } = await setup({}, { provider: { pdf: 'text' } });
    server.script([turn.text('Nothing to do.')]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    const first = blocks(server.messageRequests()[0] as MessagesRequest);
    expect(first.some((b) => b.type === 'document')).toBe(false);
    const text = first.map((b) => (b.type === 'text' ? b.text : '')).join('\n');
    expect(text).toContain('PAYMENT RECEIPT');
    expect(text).toContain('IBZY2087');
    expect(text).toContain('--- page 1 ---');
  });

  it('sends a photographed receipt as an image, scaled to what the API uses', async () => {
    const { h, server } = await setup();
    server.script([turn.text('Nothing to do.')]);
    const job = await h.run('receipts', invoice('oyo.png'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    const image = blocks(server.messageRequests()[0] as MessagesRequest).find((b) => b.type === 'image') as Anthropic.ImageBlockParam;
    expect(image.source).toMatchObject({ type: 'base64' });
    const sharp = (await import('sharp')).default;
    const meta = await sharp(Buffer.from((image.source as Anthropic.Base64ImageSource).data, 'base64')).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(1568);
  });
});

describe('failures', () => {
  it('returns tool failures to the model as is_error results and carries on', async () => {
    const { home, h, server } = await setup();
    server.script([
      turn.toolUse([
        { name: 'read_file', input: { path: 'input/missing.pdf' } },
        { name: 'write_file', input: { path: 'output/x.txt' } },
        { name: 'no_such_tool', input: {} },
      ]),
      {
        ...turn.toolUse({ name: 'write_file', input: { path: 'output/ok.txt', content: 'fine' } }),
        expect: (req) => {
          const results = toolResults(req);
          expect(results.map((r) => r.is_error)).toEqual([true, true, true]);
          expect(resultText(results[0] as Anthropic.ToolResultBlockParam)).toContain('input/missing.pdf does not exist');
          expect(resultText(results[1] as Anthropic.ToolResultBlockParam)).toMatch(/invalid arguments for write_file[\s\S]*content/);
          expect(resultText(results[2] as Anthropic.ToolResultBlockParam)).toContain('there is no tool named "no_such_tool"');
        },
      },
      turn.text('Done.'),
    ]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(filesIn(home.outputs('receipts'))).toEqual(['ok.txt']);
  });

  it('refuses paths that lead out of input/ and output/, with errors the model can read', async () => {
    const { home, h, server } = await setup();
    const outside = path.join(home.dir, 'secret.txt');
    fs.writeFileSync(outside, 'do not read');
    fs.mkdirSync(home.outputs('receipts'), { recursive: true });
    fs.symlinkSync(home.dir, path.join(home.outputs('receipts'), 'escape'));
    const calls = [
      { name: 'read_file', input: { path: '../secret.txt' } },
      { name: 'read_file', input: { path: '/etc/passwd' } },
      { name: 'read_file', input: { path: 'output/escape/secret.txt' } },
      { name: 'list_files', input: { path: 'output/../..' } },
      { name: 'write_file', input: { path: 'input/oyo.pdf', content: 'x' } },
      { name: 'write_file', input: { path: 'output/../../evil.txt', content: 'x' } },
      { name: 'write_file', input: { path: 'output/escape/evil.txt', content: 'x' } },
      { name: 'read_file', input: { path: 'notes.txt' } },
    ];
    server.script([
      turn.toolUse(calls),
      {
        ...turn.text('Could not.'),
        expect: (req) => {
          const texts = toolResults(req).map((r) => `${String(r.is_error)} ${resultText(r)}`);
          expect(texts).toHaveLength(calls.length);
          for (const t of texts) expect(t.startsWith('true ')).toBe(true);
          expect(texts[0]).toContain('leads outside the workspace');
          expect(texts[1]).toContain('is not inside the workspace');
          expect(texts[2]).toContain('escape is a symbolic link; links are never followed');
          expect(texts[3]).toContain('leads outside the workspace');
          expect(texts[4]).toContain('input/ is read-only');
          expect(texts[5]).toContain('leads outside the workspace');
          expect(texts[6]).toContain('escape is a symbolic link; links are never followed');
          expect(texts[7]).toContain('only input/ and output/');
          for (const t of texts) expect(t).not.toContain('do not read');
        },
      },
    ]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(fs.existsSync(path.join(home.dir, 'evil.txt'))).toBe(false);
    expect(fs.readdirSync(home.dir).filter((f) => f.startsWith('evil'))).toEqual([]);
    expect(filesIn(home.outputs('receipts'))).toEqual([]);
  });

  it('ends a looping agent as failed after the same call three times in a row, publishing nothing', async () => {
    const { home, h, server } = await setup();
    const same = { name: 'list_files', input: { path: 'output' } };
    server.script([
      turn.toolUse({ name: 'write_file', input: { path: 'output/partial.csv', content: 'half' } }),
      turn.toolUse(same),
      turn.toolUse(same),
      turn.toolUse(same),
    ]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status).toBe('failed');
    expect(job.reason).toMatch(/^the agent is looping: it made the same call 3 times in a row \(list_files/);
    expect(filesIn(home.outputs('receipts'))).toEqual([]);
    expect(server.pending).toBe(0);
  });

  it('stops at max_turns as failed, with nothing published', async () => {
    const { home, h, server } = await setup({ max_turns: 2 });
    server.script([
      turn.toolUse({ name: 'write_file', input: { path: 'output/a.txt', content: 'a' } }),
      turn.toolUse({ name: 'write_file', input: { path: 'output/b.txt', content: 'b' } }),
    ]);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status).toBe('failed');
    expect(job.reason).toBe('stopped after 2 turns (max_turns) without finishing');
    expect(filesIn(home.outputs('receipts'))).toEqual([]);
  });
});
