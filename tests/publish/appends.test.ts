/**
 * Many jobs appending one row each to one ledger, at concurrency 1, 4 and 8, through the real
 * Worker and the real SDK against the messages server on 127.0.0.1: half append with write_file
 * (append: true), half with a command in the bubblewrap sandbox (`>>`). Every row must be there
 * once: appends are published onto the ledger as it is at publish time, under the publish lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesRequest, type MessagesServer, type Turn } from '../support/messages-server.js';
import { Harness, baseConfig, makeHome, serve, writeKey, writeRule } from '../agent/helpers.js';

const JOBS = 16;

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

/** First turn: append this job's row (named after its file); then finish. */
function answer(req: MessagesRequest): Turn {
  if (req.body.max_tokens === 1) return turn.text('p');
  const text = JSON.stringify(req.body.messages);
  if (req.body.messages.length > 1) return turn.text('Added.');
  const n = Number(/row-(\d+)\.txt/.exec(text)?.[1]);
  if (n % 2 === 0) return turn.toolUse({ name: 'write_file', input: { path: 'output/ledger.csv', content: `row-${n}\n`, append: true } });
  return turn.toolUse({ name: 'run_command', input: { command: `echo row-${n} >> output/ledger.csv`, timeout_s: 30 } });
}

describe('appends to one ledger', () => {
  const figures: string[] = [];
  afterAll(() => console.log(figures.join('\n')));

  it.each([1, 4, 8])('lose no row at concurrency %i', async (concurrency) => {
    const home = makeHome();
    server = await serve({ onRequest: answer });
    baseConfig(home, server, { sandbox: 'bubblewrap', concurrency });
    writeKey(home);
    writeRule(home, { name: 'ledger', watch: 'inbox/ledger', output: 'outputs/ledger', do: 'Add a row for the file to ledger.csv.', concurrency });
    fs.mkdirSync(home.outputs('ledger'), { recursive: true });
    const ledger = path.join(home.outputs('ledger'), 'ledger.csv');
    fs.writeFileSync(ledger, 'name\n');
    h = new Harness(home);
    const rows = [];
    for (let i = 0; i < JOBS; i++) {
      const file = path.join(home.dir, `row-${i}.txt`);
      fs.writeFileSync(file, `file ${i}\n`);
      rows.push(await h.queue('ledger', file));
    }
    const done = await Promise.all(rows.map((r) => h!.settled(r.id, undefined, 120_000)));
    const lines = fs.readFileSync(ledger, 'utf8').trim().split('\n');
    const found = lines.filter((l) => l.startsWith('row-'));
    figures.push(`concurrency ${concurrency}: ${JOBS} jobs, ${done.filter((d) => d.status === 'succeeded').length} succeeded; rows expected ${JOBS}, found ${found.length} (${new Set(found).size} distinct)`);
    expect(done.map((d) => `${d.status} ${d.reason ?? ''}`)).toEqual(done.map(() => 'succeeded '));
    expect(lines[0]).toBe('name');
    expect(found.sort()).toEqual(Array.from({ length: JOBS }, (_, i) => `row-${i}`).sort());
    expect(fs.readdirSync(home.outputs('ledger'))).toEqual(['ledger.csv']);
  }, 180_000);
});
