// The agent's benchmark: its fixed overhead per request (system prompt + tool definitions),
// counted by count_tokens on the messages test server and in characters, and what a receipt
// job costs in requests and tokens with a scripted model, run through the real pipeline
// (Store, Worker, executeJob, publish) and the real SDK. Prints one table.
//
//   npm run build && node scripts/bench/agent.mjs
//
// Token counts come from the test server's estimator (4 characters a token, every block
// counted as JSON, a PDF as its base64): consistent between runs and between the parts of a
// request, not the real tokenizer. Anthropic bills a PDF page at roughly 1,500-3,000 tokens.
// Exit code 1 when a goal is missed (fixed overhead under 1,500 tokens; 2 requests a receipt).
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { agentHome } from './lib/agent-home.mjs';
import { ROOT } from './lib/daemon.mjs';
import { loadMessagesServer } from './lib/messages-server.mjs';
import { printTable, verdict } from './lib/table.mjs';

const dist = (p) => import(path.join(ROOT, 'dist', p));
await dist('agent/index.js');
const { SYSTEM_PROMPT } = await dist('agent/prompt.js');
const { toApiTool } = await dist('agent/tool.js');
const { toolsFor } = await dist('agent/tools/index.js');
const { sha256File } = await dist('watch/fingerprint.js');

const KEY = 'sk-ant-bench-0123456789';
const GOAL = { overheadTokens: 1500, requests: 2 };
const INVOICES = path.resolve(process.env.DROPWORK_FIXTURES ?? path.join(ROOT, 'tests', 'fixtures'), 'invoices');

const { startMessagesServer, turn } = await loadMessagesServer();
const server = await startMessagesServer({ apiKey: KEY });
const client = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
const rows = [['metric', 'value', 'goal', 'verdict']];
let missed = false;
const row = (metric, value, goal = '', ok) => {
  if (ok === false) missed = true;
  rows.push([metric, value, goal, verdict(ok)]);
};

// 1. Fixed overhead: what system + tools add to a one-word request.
const model = 'claude-sonnet-5-5';
const bare = { model, messages: [{ role: 'user', content: 'x' }] };
const count = async (body) => (await client.messages.countTokens(body)).input_tokens;
const base = await count(bare);
const system = [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }];
for (const withSandbox of [false, true]) {
  const tools = toolsFor(withSandbox).map(toApiTool);
  const tokens = (await count({ ...bare, system, tools })) - base;
  const chars = SYSTEM_PROMPT.length + JSON.stringify(tools).length;
  row(`fixed overhead, ${tools.length} tools${withSandbox ? ' (with run_command)' : ''}`, `${tokens} tokens, ${chars} chars`, `< ${GOAL.overheadTokens} tokens`, tokens < GOAL.overheadTokens);
}
row('  of which the system prompt', `${(await count({ ...bare, system })) - base} tokens, ${SYSTEM_PROMPT.length} chars`);

// 2. Receipt jobs through the pipeline: the task needs one write; the scripted model makes it.
const { home, store, worker } = await agentHome({
  label: 'receipts', serverUrl: server.url, key: KEY, sandbox: 'none', pollMs: 20,
  rule: 'name: receipts\nwatch: inbox/receipts\noutput: outputs/receipts\ndo: Add one row date,vendor,total,currency to receipts.csv (with that header if the file is new).\n',
});

const receipts = fs.readdirSync(INVOICES).filter((f) => /\.(pdf|png)$/.test(f)).sort();
const results = [];
for (const name of receipts) {
  const expected = JSON.parse(fs.readFileSync(path.join(INVOICES, `${name.replace(/\.\w+$/, '')}.expected.json`), 'utf8'))[0];
  const line = `${expected.date},${expected.issuer},${expected.amount},${expected.currency}\n`;
  server.script([turn.toolUse({ name: 'write_file', input: { path: 'output/receipts.csv', content: results.length ? line : `date,vendor,total,currency\n${line}`, append: true } }), turn.text('Added.')]);
  const inbox = path.join(home, 'inbox', 'receipts');
  fs.mkdirSync(inbox, { recursive: true });
  const file = path.join(inbox, name);
  fs.copyFileSync(path.join(INVOICES, name), file);
  const st = fs.statSync(file);
  const before = server.messageRequests().length;
  const started = performance.now();
  const job = store.enqueue({ rule: 'receipts', file, sha256: await sha256File(file), trigger: 'manual', dedupe: false, payload: { size: st.size, mtimeMs: st.mtimeMs } });
  worker.wake();
  let done;
  while (!['succeeded', 'failed', 'skipped', 'waiting'].includes((done = store.get(job.id)).status)) await new Promise((r) => setTimeout(r, 5));
  const first = server.messageRequests()[before];
  results.push({
    name, status: done.status, ms: performance.now() - started,
    requests: server.messageRequests().length - before,
    input: done.input_tokens + done.cache_read_tokens + done.cache_write_tokens,
    cost: done.cost_usd,
    attached: (first?.body.messages[0].content ?? []).filter((b) => b.type !== 'text').map((b) => b.type).join('+'),
  });
}
await worker.stop(0);

const ok = results.filter((r) => r.status === 'succeeded');
const maxRequests = Math.max(...results.map((r) => r.requests));
const mean = (f) => ok.reduce((s, r) => s + f(r), 0) / Math.max(1, ok.length);
row(`receipt jobs succeeded`, `${ok.length} of ${results.length}`, 'all', ok.length === results.length);
row('requests per receipt job (max)', String(maxRequests), `<= ${GOAL.requests}`, maxRequests <= GOAL.requests);
row('  file sent in the first request', [...new Set(results.map((r) => r.attached))].join(', '));
row('input tokens per job (mean, incl. cache)', Math.round(mean((r) => r.input)).toLocaleString('en-US'));
row('cost per job at Sonnet 5.5 prices (mean)', `$${mean((r) => r.cost).toFixed(4)}`);
row('time per job, local server (mean)', `${mean((r) => r.ms).toFixed(0)} ms`);
const ledger = fs.readFileSync(path.join(home, 'outputs', 'receipts', 'receipts.csv'), 'utf8');
row('rows in the published receipts.csv', String(ledger.trim().split('\n').length - 1), String(results.length), ledger.trim().split('\n').length - 1 === results.length);

store.close();
await server.close();
fs.rmSync(home, { recursive: true, force: true });
printTable(rows);
process.stdout.write('\nper receipt:\n');
printTable([['file', 'status', 'requests', 'input tokens', 'cost'], ...results.map((r) => [r.name, r.status, String(r.requests), String(r.input), `$${r.cost.toFixed(4)}`])]);
process.exit(missed ? 1 : 0);
