import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesRequest, type MessagesServer } from '../support/messages-server.js';
import { Harness, REPO, baseConfig, filesIn, invoice, makeHome, serve, writeKey, writeRule, type Home } from './helpers.js';

const run = promisify(execFile);
const CONDITION = 'these are notes or a transcript of a meeting';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

async function setup(condition = CONDITION): Promise<Home> {
  const home = makeHome();
  server = await serve();
  baseConfig(home, server);
  writeKey(home);
  writeRule(home, { name: 'meeting-notes', watch: 'inbox/meeting-notes', if: condition, do: 'Summarise the notes into output/summary.md.' });
  return home;
}

function decisionRequest(answer: { match: boolean; reason: string }): ReturnType<typeof turn.forcedTool> & { expect: (req: MessagesRequest) => void } {
  return {
    ...turn.forcedTool(answer),
    expect: (req) => {
      expect(req.body.model).toBe('claude-haiku-4-5');
      expect(req.body.tool_choice).toEqual({ type: 'tool', name: 'decide' });
      const text = JSON.stringify(req.body.messages);
      expect(text).toContain('oyo.pdf (PDF, 23.9 KB, 1 page)');
      expect(text).toContain('PAYMENT RECEIPT'); // the first pages' text, not the whole PDF
      expect(text).not.toContain('"document"');
      expect(text).toContain(`Condition: ${CONDITION}`);
    },
  };
}

describe('if: conditions', () => {
  it('skips with the model\'s reason, and never asks again for the same content and condition', async () => {
    const home = await setup();
    const reason = 'It is a hotel payment receipt, not meeting notes.';
    server?.script([decisionRequest({ match: false, reason })]);
    h = new Harness(home);
    const job = await h.run('meeting-notes', invoice('oyo.pdf'));
    expect(job.status).toBe('skipped');
    expect(job.reason).toBe(`condition not met: ${reason}`);
    expect(job.cost_usd).toBeGreaterThan(0);
    expect(h.log(job.id, 'condition')).toEqual([`no: ${reason}`]);
    expect(filesIn(home.outputs('meeting-notes'))).toEqual([]);

    // A restart, and the same file dropped again: decided from the kept answer, nothing asked.
    await h.close();
    h = new Harness(home);
    const again = await h.run('meeting-notes', invoice('oyo.pdf'));
    expect(again.status).toBe('skipped');
    expect(again.reason).toBe(`condition not met: ${reason}`);
    expect(again.cost_usd).toBe(0);
    expect(h.kinds(again.id)).toContain('condition_cache');
    expect(server?.messageRequests()).toHaveLength(1);
  });

  it('asks afresh when the condition text changes, and runs the agent on a yes', async () => {
    const home = await setup();
    server?.script([decisionRequest({ match: false, reason: 'Not meeting notes.' })]);
    h = new Harness(home);
    expect((await h.run('meeting-notes', invoice('oyo.pdf'))).status).toBe('skipped');
    await h.close();

    writeRule(home, { name: 'meeting-notes', watch: 'inbox/meeting-notes', if: 'it is a receipt', do: 'Write output/kind.txt.' });
    server?.script([
      { ...turn.forcedTool({ match: true, reason: 'A hotel receipt.' }), expect: (req) => expect(JSON.stringify(req.body.messages)).toContain('Condition: it is a receipt') },
      { ...turn.toolUse({ name: 'write_file', input: { path: 'output/kind.txt', content: 'receipt' } }), expect: (req) => expect(req.body.model).toBe('claude-sonnet-5-5') },
      turn.text('Wrote kind.txt.'),
    ]);
    h = new Harness(home);
    const job = await h.run('meeting-notes', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(h.log(job.id, 'condition')).toEqual(['yes: A hotel receipt.']);
    expect(fs.readFileSync(path.join(home.outputs('meeting-notes'), 'kind.txt'), 'utf8')).toBe('receipt');
    expect(server?.pending).toBe(0);
  });

  it('shows the decision in `dropwork rules test`, asked once and then kept', async () => {
    const home = await setup();
    const reason = 'A receipt from a hotel, not notes.';
    server?.script([decisionRequest({ match: false, reason })]);
    const env = { ...process.env, DROPWORK_HOME: home.dir, HOME: path.join(home.dir, 'user'), DROPWORK_NOTIFY: 'off' };
    const file = path.join(home.inbox('meeting-notes'), 'oyo.pdf');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(invoice('oyo.pdf'), file);
    const cli = (): Promise<{ stdout: string }> => run(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), 'rules', 'test', 'meeting-notes', file], { env });

    const first = await cli();
    expect(first.stdout).toContain('oyo.pdf matches rule "meeting-notes"');
    expect(first.stdout).toContain(`if: ${CONDITION}`);
    expect(first.stdout).toMatch(new RegExp(`no: ${reason} \\(claude-haiku-4-5, \\$0\\.\\d+\\)`));
    expect(first.stdout).toContain('so the job would be skipped');

    const second = await cli();
    expect(second.stdout).toContain(`no: ${reason} (decided before by claude-haiku-4-5)`);
    expect(server?.messageRequests()).toHaveLength(1);
  });
});
