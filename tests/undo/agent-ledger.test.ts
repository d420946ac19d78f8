/**
 * Undo of agent jobs: three jobs of a real agent (the real SDK against the Messages server on
 * 127.0.0.1) each append a row to one ledger; reverting the first is refused while the later
 * two stand, and with --cascade the ledger is back to its exact earlier bytes. A fourth job
 * rewrites a report it replaces: revert puts the earlier report back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { publishLockFile } from '../../src/run/execute.js';
import { blobsFor, revertJobs } from '../../src/undo/revert.js';
import { turn, type MessagesRequest, type MessagesServer, type Turn } from '../support/messages-server.js';
import { Harness, baseConfig, makeHome, serve, writeKey, writeRule } from '../agent/helpers.js';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
});

function answer(req: MessagesRequest): Turn {
  if (req.body.max_tokens === 1) return turn.text('p');
  if (req.body.messages.length > 1) return turn.text('Done.');
  const text = JSON.stringify(req.body.messages);
  const name = /(receipt-\d|report)\.txt/.exec(text)?.[1] ?? '?';
  if (name === 'report') return turn.toolUse({ name: 'write_file', input: { path: 'output/summary.md', content: '# Summary\nrewritten by the agent\n' } });
  return turn.toolUse({ name: 'write_file', input: { path: 'output/receipts.csv', content: `2026-11-30,${name},12.50\n`, append: true } });
}

it('reverts agent appends to a shared ledger exactly (refused without cascade) and an agent rewrite', async () => {
  const home = makeHome();
  server = await serve({ onRequest: answer });
  baseConfig(home, server, { sandbox: 'none' });
  writeKey(home);
  writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Add a row to receipts.csv; for a report, rewrite summary.md.' });
  fs.mkdirSync(home.outputs('receipts'), { recursive: true });
  const ledger = path.join(home.outputs('receipts'), 'receipts.csv');
  const summary = path.join(home.outputs('receipts'), 'summary.md');
  fs.writeFileSync(ledger, 'date,vendor,total\n');
  fs.writeFileSync(summary, '# Summary\nwritten by hand\n');
  const ledgerBefore = fs.readFileSync(ledger);
  const summaryBefore = fs.readFileSync(summary);
  h = new Harness(home);
  const ids: number[] = [];
  for (const name of ['receipt-1', 'receipt-2', 'receipt-3', 'report']) {
    const file = path.join(home.dir, `${name}.txt`);
    fs.writeFileSync(file, `${name}\n`);
    const row = await h.queue('receipts', file);
    const done = await h.settled(row.id, undefined, 60_000);
    expect(`${done.status} ${done.reason ?? ''}`).toBe('succeeded ');
    ids.push(row.id);
  }
  expect(fs.readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(4);
  const [first, second, third, report] = ids as [number, number, number, number];
  const req = { cascade: false, dryRun: false, by: 'by hand', lock: publishLockFile(home.paths) };
  const blobs = blobsFor(home.paths);

  const refused = revertJobs(h.store, blobs, { ...req, jobs: [first] });
  expect(refused.ok).toBe(false);
  expect(!refused.ok && refused.why).toContain(`job ${second}`);
  expect(!refused.ok && refused.why).toContain(`${third}`);
  expect(fs.readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(4);

  const cascaded = revertJobs(h.store, blobs, { ...req, jobs: [first], cascade: true });
  expect(cascaded.ok && cascaded.reverted).toEqual([third, second, first]);
  expect(fs.readFileSync(ledger).equals(ledgerBefore)).toBe(true);

  expect(fs.readFileSync(summary, 'utf8')).toBe('# Summary\nrewritten by the agent\n');
  expect(revertJobs(h.store, blobs, { ...req, jobs: [report] }).ok).toBe(true);
  expect(fs.readFileSync(summary).equals(summaryBefore)).toBe(true);
}, 180_000);
