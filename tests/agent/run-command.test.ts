/**
 * run_command through the real sandboxes: bubblewrap and Docker with the dropwork-sandbox image
 * (scripts/setup/bubblewrap.sh, scripts/setup/docker.sh and sandbox/ set them up; the sandbox
 * tests need them too). No fake: when a backend cannot run here, its test fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { turn, type MessagesRequest, type MessagesServer } from '../support/messages-server.js';
import { Harness, baseConfig, filesIn, invoice, makeHome, serve, writeKey, writeRule } from './helpers.js';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

describe('run_command', () => {
  it.each(['bubblewrap', 'docker'] as const)('is offered with %s, runs in the workspace root, and publishes regular files only', async (backend) => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server, { sandbox: backend });
    writeKey(home);
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Measure the file.' });
    fs.mkdirSync(home.outputs('receipts'), { recursive: true });
    fs.writeFileSync(path.join(home.outputs('receipts'), 'ledger.csv'), 'size\n');
    fs.writeFileSync(path.join(home.outputs('receipts'), 'untouched.txt'), 'same\n');
    const script = 'head -c 5 input/oyo.pdf; echo; wc -c < input/oyo.pdf >> output/ledger.csv; ln -s /etc/passwd output/link; echo done > output/new.txt; touch input/oyo.pdf 2>&1 || true';
    server.script([
      { ...turn.toolUse({ name: 'run_command', input: { command: script, timeout_s: 30 } }), expect: (req) => expect(req.body.tools?.map((t) => (t as { name: string }).name)).toContain('run_command') },
      {
        ...turn.text('Measured.'),
        expect: (req) => {
          const result = JSON.stringify(req.body.messages.at(-1));
          expect(result).toContain('exit code: 0');
          expect(result).toContain('%PDF-');
          expect(result).toMatch(/Read-only file system|Permission denied/);
        },
      },
    ]);
    h = new Harness(home);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(filesIn(home.outputs('receipts'))).toEqual(['ledger.csv', 'new.txt', 'untouched.txt']);
    expect(fs.readFileSync(path.join(home.outputs('receipts'), 'ledger.csv'), 'utf8')).toBe('size\n24447\n');
    expect(fs.lstatSync(path.join(home.outputs('receipts'), 'untouched.txt')).mtimeMs).toBeLessThan(job.started_at ?? 0);
    const sandboxLog = h.log(job.id, 'sandbox').join('\n');
    expect(sandboxLog).toContain(`commands run in ${backend}`);
    if (backend === 'docker') expect(sandboxLog).toMatch(/image sha256:[0-9a-f]{64}/);
    // Published files belong to whoever owns the outputs folder, not to the sandbox's user.
    expect(fs.statSync(path.join(home.outputs('receipts'), 'new.txt')).uid).toBe(fs.statSync(home.outputs('receipts')).uid);
    expect(h.log(job.id, 'outputs').join('\n')).toContain('not published: output/link (symbolic link to /etc/passwd: not followed)');
  });

  it.each(['bubblewrap', 'docker'] as const)('gives a command that times out back to the model with %s, which tries again with longer', async (backend) => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server, { sandbox: backend });
    writeKey(home);
    writeRule(home, { name: 'slow', watch: 'inbox/slow', output: 'outputs/slow', do: 'Run the slow tool.', sandbox: { max_command_s: 8 } });
    const lastResult = (req: MessagesRequest): string => JSON.stringify(req.body.messages.at(-1));
    server.script([
      turn.toolUse({ name: 'run_command', input: { command: 'echo started; sleep 30', timeout_s: 1 } }),
      {
        ...turn.toolUse({ name: 'run_command', input: { command: 'sleep 2; echo ok > output/done.txt; echo finished', timeout_s: 8 } }),
        expect: (req) => {
          const result = lastResult(req);
          expect(result).toContain('"is_error":true');
          expect(result).toContain('the command was stopped: command timed out after 1 s. It may run for up to 8 s: call again with a larger timeout_s');
          expect(result).toContain('started');
        },
      },
      {
        ...turn.toolUse({ name: 'run_command', input: { command: 'sleep 30', timeout_s: 8 } }),
        expect: (req) => expect(lastResult(req)).toMatch(/exit code: 0.*finished/),
      },
      {
        ...turn.text('Done.'),
        expect: (req) => expect(lastResult(req)).toContain("That is the longest a command may run here (the rule's sandbox.max_command_s is 8 s)"),
      },
    ]);
    h = new Harness(home);
    const job = await h.run('slow', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(filesIn(home.outputs('slow'))).toEqual(['done.txt']);
    expect(h.log(job.id, 'tool_result').filter((m) => m.startsWith('error: run_command failed: the command was stopped: command timed out'))).toHaveLength(2);
  }, 60_000);

  it('is not offered when no sandbox is available', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server, { sandbox: 'none' });
    writeKey(home);
    writeRule(home, { name: 'receipts', watch: 'inbox/receipts', output: 'outputs/receipts', do: 'Measure the file.' });
    server.script([
      turn.toolUse({ name: 'run_command', input: { command: 'id' } }),
      { ...turn.text('Could not.'), expect: (req) => expect(JSON.stringify(req.body.messages.at(-1))).toContain('there is no tool named \\"run_command\\"') },
    ]);
    h = new Harness(home);
    const job = await h.run('receipts', invoice('oyo.pdf'));
    expect(job.status, job.reason ?? '').toBe('succeeded');
    expect(server.messageRequests()[0]?.body.tools?.map((t) => (t as { name: string }).name)).toEqual(['list_files', 'read_file', 'write_file']);
    expect(h.log(job.id, 'agent')[0]).toContain('no run_command (sandbox: none in config: agents cannot run commands)');
  });
});
