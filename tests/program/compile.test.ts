/**
 * Compiled rules end to end: the real daemon, real Docker (dropwork-sandbox image), real
 * SQLite, the loopback Messages server playing the model through the real SDK, and the real
 * invoices of tests/fixtures. The "model" writes a real Python program (tests/program/
 * ledger-program.py: pdftotext and a few patterns) that dropwork replays and then runs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/program/index.js';
import { approveJob } from '../../src/approve/decide.js';
import { programsOf } from '../../src/program/store.js';
import { plugins } from '../../src/plugins.js';
import type { Daemon } from '../../src/daemon.js';
import { FINAL, type JobRow } from '../../src/queue/status.js';
import { turn, type MessagesServer, type Turn } from '../support/messages-server.js';
import { REPO, baseConfig, drop, invoice, jobsOf, makeHome, serve, startDaemon, waitUntil, writeKey, writeRule, type Home } from '../agent/helpers.js';

const TASK = 'This is an invoice. Add one row invoice_number,total to ledger.csv (create it with that header if it does not exist); the total with two decimals.';
const PROGRAM = fs.readFileSync(path.join(REPO, 'tests', 'program', 'ledger-program.py'), 'utf8');
/** What the agent writes for the three invoices it learns from (their expected.json values). */
const LEARN: [string, string][] = [['AzureInterior.pdf', 'INV/2023/03/0008,279.84'], ['NetpresseInvoice.pdf', '2022089083,56.02'], ['QualityHosting.pdf', '30064443,34.73']];
const HEADER = 'invoice_number,total';

let server: MessagesServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  await server?.close();
  daemon = undefined;
  server = undefined;
});

async function setup(rule: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<{ home: Home; d: Daemon; server: MessagesServer }> {
  const home = makeHome();
  server = await serve();
  baseConfig(home, server, { sandbox: 'docker', ...config });
  writeKey(home);
  writeRule(home, { name: 'ledger', watch: 'inbox/ledger', output: 'outputs/ledger', files: '*.pdf', do: TASK, ...rule });
  daemon = await startDaemon(home, ['ledger']);
  return { home, d: daemon, server };
}

async function settled(d: Daemon, pick: (j: JobRow) => boolean, what: string): Promise<JobRow> {
  let found: JobRow | undefined;
  await waitUntil(() => (found = jobsOf(d, 'ledger').find((j) => pick(j) && FINAL.includes(j.status))) !== undefined, what, 120_000);
  return found as JobRow;
}

/** One agent job: the scripted model adds the row (creating the ledger the first time). */
async function agentJob(home: Home, d: Daemon, name: string, row: string, first: boolean, andThen?: () => void): Promise<JobRow> {
  server?.enqueue(
    turn.toolUse({ name: 'write_file', input: first ? { path: 'output/ledger.csv', content: `${HEADER}\n${row}\n` } : { path: 'output/ledger.csv', content: `${row}\n`, append: true } }),
    turn.text('Added the row.'),
  );
  // The script is one queue: what comes next (the compile job's turns) is queued behind this job's.
  andThen?.();
  drop(home, 'ledger', invoice(name));
  const job = await settled(d, (j) => j.file?.endsWith(name) === true, `the job of ${name}`);
  expect(job.status, job.reason ?? '').toBe('succeeded');
  return job;
}

/** The compile job, its model writing `program` and trying it once with run_command. */
function scriptCompile(program: string): void {
  server?.enqueue(
    {
      ...turn.toolUse({ name: 'write_file', input: { path: 'output/program/main.py', content: program } }),
      expect: (req) => {
        const text = JSON.stringify(req.body.messages[0]);
        expect(text).toContain('This is a compile job');
        expect(text).toContain('input/examples/3/input/QualityHosting.pdf');
        expect(text).toContain('30064443,34.73');
      },
    },
    turn.toolUse({ name: 'run_command', input: { command: 'mkdir -p /tmp/t/input /tmp/t/output && cp input/examples/1/input/* /tmp/t/input/ && cd /tmp/t && python3 /workspace/output/program/main.py && cat output/ledger.csv' } }),
    turn.text('Wrote program/main.py.'),
  );
}

async function learn(home: Home, d: Daemon, program: string | (() => void)): Promise<JobRow> {
  const script = typeof program === 'string' ? () => scriptCompile(program) : program;
  for (const [i, [name, row]] of LEARN.entries()) await agentJob(home, d, name, row, i === 0, i === LEARN.length - 1 ? script : undefined);
  return settled(d, (j) => j.trigger === 'compile', 'the compile job');
}

function cli(home: Home, args: string[]): Promise<{ stdout: string }> {
  return promisify(execFile)(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env: { ...process.env, DROPWORK_HOME: home.dir } });
}

const ledger = (home: Home): string => fs.readFileSync(path.join(home.outputs('ledger'), 'ledger.csv'), 'utf8');

describe('a compiled rule', () => {
  it('learns from 3 agent jobs, replays them, then runs new invoices without the model and falls back for one it does not know', async () => {
    const { home, d, server } = await setup({ recompile_after: 1 });
    const compile = await learn(home, d, PROGRAM);
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    expect(compile.cost_usd).toBeGreaterThan(0);
    const [program] = programsOf(d.store.db, 'ledger');
    expect(program?.status).toBe('suggested');
    expect(program?.replay.map((r) => [r.input, r.exact, r.differences])).toEqual(LEARN.map(([name]) => [name, true, []]));
    expect(d.store.logs(compile.id).map((e) => e.message).join('\n')).toContain('a program is ready: v1 reproduced all 3 examples');
    expect(plugins().find((p) => p.name === 'programs')?.status?.()).toEqual({ compile: 'ledger: suggest (the default for do: rules with a sandbox), a program is ready (v1)' });
    // Not approved yet: nothing runs it.
    const shown = await cli(home, ['rules', 'program', 'ledger']);
    expect(shown.stdout).toContain('program v1, suggested');
    expect(shown.stdout).toContain('replay of job');
    expect(shown.stdout).toContain('import csv');
    const approved = JSON.parse((await cli(home, ['rules', 'program', 'ledger', '--approve', '--by', 'ana', '--json'])).stdout) as { status: string; approved_by: string };
    expect(approved).toMatchObject({ status: 'approved', approved_by: 'by ana from the command line' });

    // A new invoice of a known layout: the program, 0 requests, $0.
    const before = server.messageRequests().length;
    drop(home, 'ledger', invoice('FlipkartInvoice.pdf'));
    const byProgram = await settled(d, (j) => j.file?.endsWith('FlipkartInvoice.pdf') === true, 'the program job');
    expect(byProgram.status, byProgram.reason ?? '').toBe('succeeded');
    expect(server.messageRequests().length).toBe(before);
    expect(byProgram.cost_usd).toBe(0);
    expect(byProgram.input_tokens + byProgram.output_tokens).toBe(0);
    const shownJob = JSON.parse((await cli(home, ['jobs', 'show', String(byProgram.id), '--json'])).stdout) as { runner: string; program_version: number };
    expect(shownJob).toMatchObject({ runner: 'program', program_version: 1 });
    expect((await cli(home, ['jobs', 'show', String(byProgram.id)])).stdout).toContain('runner:   program v1 (no model call)');
    expect((await cli(home, ['jobs'])).stdout).toMatch(/FlipkartInvoice\.pdf .*\$0 \(program v1\)/);
    expect(d.store.logs(byProgram.id).find((e) => e.kind === 'program')?.message).toMatch(/^program v1 did the file/);
    expect(ledger(home)).toBe(`${HEADER}\n${LEARN.map(([, r]) => r).join('\n')}\nBLR_WFLD20151000982590,319.00\n`);

    // A scanned invoice the program does not recognise (exit 3): the agent does it in the same job.
    server.enqueue(turn.toolUse({ name: 'write_file', input: { path: 'output/ledger.csv', content: '993548900,717.97\n', append: true } }), turn.text('Added.'));
    // With recompile_after: 1 that fallback makes the rule learn again, from 4 examples now.
    scriptCompile(PROGRAM);
    drop(home, 'ledger', invoice('coolblue1.pdf'));
    const fellBack = await settled(d, (j) => j.file?.endsWith('coolblue1.pdf') === true, 'the fallback job');
    expect(fellBack.status, fellBack.reason ?? '').toBe('succeeded');
    const kinds = d.store.logs(fellBack.id).map((e) => e.kind);
    expect(kinds).toContain('fallback');
    expect(kinds.indexOf('fallback')).toBeLessThan(kinds.indexOf('usage'));
    expect(d.store.logs(fellBack.id).find((e) => e.kind === 'fallback')?.message).toContain('does not recognise this file (exit 3)');
    expect(fellBack.cost_usd).toBeGreaterThan(0);
    expect(d.store.get(fellBack.id)?.runner).toBeNull();
    expect(ledger(home).endsWith('BLR_WFLD20151000982590,319.00\n993548900,717.97\n')).toBe(true);
    expect(programsOf(d.store.db, 'ledger').find((p) => p.version === 1)).toMatchObject({ status: 'approved', runs: 1, fallbacks: 1 });
    // The agent's run is a new example to relearn from; the program's is not.
    await waitUntil(() => d.store.db.prepare('SELECT 1 FROM program_examples WHERE job_id = ?').get(fellBack.id) !== undefined, 'the fallback kept as an example');
    expect(d.store.db.prepare('SELECT 1 FROM program_examples WHERE job_id = ?').get(byProgram.id)).toBeUndefined();
    // The new program still refuses the scanned invoice, so it fails its replay and is not
    // offered; version 1 goes on running.
    const again = await settled(d, (j) => j.trigger === 'compile' && j.id !== compile.id, 'the second compile job');
    expect(JSON.parse(again.payload).examples).toContain(fellBack.id);
    const v2 = programsOf(d.store.db, 'ledger')[0];
    expect(v2).toMatchObject({ version: 2, status: 'not_compilable' });
    expect(v2?.reason).toContain(`it did not reproduce job ${fellBack.id} (coolblue1.pdf): the program does not recognise this file (exit 3)`);
    expect(programsOf(d.store.db, 'ledger').find((p) => p.version === 1)?.status).toBe('approved');

    // Editing do: retires the program: the next file goes to the agent again.
    writeRule(home, { name: 'ledger', watch: 'inbox/ledger', output: 'outputs/ledger', files: '*.pdf', do: `${TASK} Also keep the currency.` });
    await waitUntil(() => programsOf(d.store.db, 'ledger').every((p) => p.status === 'retired'), 'the programs to be retired', 30_000);
    expect(programsOf(d.store.db, 'ledger').map((p) => p.reason)).toEqual([expect.stringContaining('changed'), expect.stringContaining('changed')]);
  }, 600_000);

  it('a rule with an if: learns its do:, and its program runs only on files the condition lets through, the condition still asked once per content', async () => {
    const { home, d, server } = await setup({ if: 'it is an invoice', compile: 'auto' });
    const decide = (match: boolean, reason: string): Turn => ({ ...turn.forcedTool({ match, reason }), expect: (req) => expect(JSON.stringify(req.body.messages)).toContain('Condition: it is an invoice') });
    for (const [i, [name, row]] of LEARN.entries()) {
      server.enqueue(decide(true, 'An invoice.'));
      await agentJob(home, d, name, row, i === 0, i === LEARN.length - 1 ? () => scriptCompile(PROGRAM) : undefined);
    }
    const compile = await settled(d, (j) => j.trigger === 'compile', 'the compile job');
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    // The compile job has no file to decide about; its model is told the condition is decided for it.
    expect(d.store.logs(compile.id).map((e) => e.kind)).not.toContain('condition');
    const asked = server.messageRequests().find((r) => JSON.stringify(r.body.messages[0]).includes('This is a compile job'));
    expect(JSON.stringify(asked?.body.messages[0])).toContain('The rule only takes files for which this holds: \\"it is an invoice\\"');
    expect(programsOf(d.store.db, 'ledger')[0]).toMatchObject({ version: 1, status: 'approved', approvedBy: 'compile: auto (every replay exact)' });
    expect(plugins().find((p) => p.name === 'programs')?.status?.()).toEqual({ compile: 'ledger: auto (the rule says compile: auto), program v1 runs' });

    // A new invoice: the condition is asked (one request, to the small model), then the program does the task.
    const before = server.messageRequests().length;
    server.enqueue(decide(true, 'An invoice.'));
    drop(home, 'ledger', invoice('FlipkartInvoice.pdf'));
    const byProgram = await settled(d, (j) => j.file?.endsWith('FlipkartInvoice.pdf') === true, 'the program job');
    expect(byProgram.status, byProgram.reason ?? '').toBe('succeeded');
    expect(byProgram.runner).toBe('program');
    expect(server.messageRequests().slice(before).map((r) => r.body.model)).toEqual(['claude-haiku-4-5']);
    const kinds = d.store.logs(byProgram.id).map((e) => e.kind);
    expect(kinds.indexOf('condition')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('condition')).toBeLessThan(kinds.indexOf('program'));
    expect(ledger(home).endsWith('BLR_WFLD20151000982590,319.00\n')).toBe(true);
    // The job's cost is the condition's, and says so.
    expect(byProgram.cost_usd).toBeGreaterThan(0);
    expect((await cli(home, ['jobs'])).stdout).toMatch(/FlipkartInvoice\.pdf .*\$0\.\d{3} \(program v1\)/);
    expect((await cli(home, ['jobs', 'show', String(byProgram.id)])).stdout).toContain('runner:   program v1 (no model call for the task; the if: check is the usage below)');

    // A file the condition turns down: skipped, the program never runs on it.
    server.enqueue(decide(false, 'A hotel receipt, not an invoice.'));
    drop(home, 'ledger', invoice('oyo.pdf'));
    const no = await settled(d, (j) => j.file?.endsWith('oyo.pdf') === true, 'the receipt job');
    expect(no.status).toBe('skipped');
    expect(no.reason).toBe('condition not met: A hotel receipt, not an invoice.');
    expect(d.store.logs(no.id).map((e) => e.kind)).not.toContain('program');
    // Run again, the same content is decided from the kept answer: nothing asked, still skipped.
    const asking = server.messageRequests().length;
    await cli(home, ['jobs', 'retry', String(no.id)]);
    await waitUntil(() => { const j = d.store.get(no.id); return j !== undefined && j.attempts === 2 && FINAL.includes(j.status); }, 'the retried receipt job', 60_000);
    expect(d.store.get(no.id)?.status).toBe('skipped');
    expect(d.store.logs(no.id).map((e) => e.kind)).toContain('condition_cache');
    expect(server.messageRequests().length).toBe(asking);
    expect(programsOf(d.store.db, 'ledger')[0]).toMatchObject({ runs: 1, fallbacks: 0 });
  }, 600_000);

  it('a rule that holds its jobs learns only from approved ones, and what its program writes waits for approval too', async () => {
    const { home, d, server } = await setup({ approve: 'always', compile: 'auto' });
    const approve = (id: number): void => void approveJob({ store: d.store, paths: d.opts.paths, events: d.events, by: 'from the dashboard' }, id, new Map(d.rules.map((r) => [r.name, r])));
    const examples = (): number => (d.store.db.prepare("SELECT count(*) AS n FROM program_examples WHERE rule = 'ledger'").get() as { n: number }).n;
    for (const [i, [name, row]] of LEARN.entries()) {
      server.enqueue(turn.toolUse({ name: 'write_file', input: i === 0 ? { path: 'output/ledger.csv', content: `${HEADER}\n${row}\n` } : { path: 'output/ledger.csv', content: `${row}\n`, append: true } }), turn.text('Added the row.'));
      drop(home, 'ledger', invoice(name));
      let held: JobRow | undefined;
      await waitUntil(() => (held = jobsOf(d, 'ledger').find((j) => j.file?.endsWith(name) === true && j.status === 'waiting')) !== undefined, `the job of ${name} held`, 120_000);
      // Held, it is not an example: a person may still deny it.
      expect(examples()).toBe(i);
      if (i === LEARN.length - 1) scriptCompile(PROGRAM);
      approve((held as JobRow).id);
      await waitUntil(() => examples() === i + 1, `job ${(held as JobRow).id} kept as an example once approved`);
    }
    const compile = await settled(d, (j) => j.trigger === 'compile', 'the compile job');
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    expect(programsOf(d.store.db, 'ledger')[0]).toMatchObject({ status: 'approved' });

    const before = ledger(home);
    drop(home, 'ledger', invoice('FlipkartInvoice.pdf'));
    let byProgram: JobRow | undefined;
    await waitUntil(() => (byProgram = jobsOf(d, 'ledger').find((j) => j.file?.endsWith('FlipkartInvoice.pdf') === true && FINAL.concat('waiting').includes(j.status))) !== undefined, 'the program job', 120_000);
    const job = byProgram as JobRow;
    expect(job.status, job.reason ?? '').toBe('waiting');
    expect(job.runner).toBe('program');
    expect(ledger(home)).toBe(before);
    approve(job.id);
    expect(ledger(home)).toBe(`${before}BLR_WFLD20151000982590,319.00\n`);
    // What the program did is not an example: only the agent's work is learned from.
    expect(examples()).toBe(LEARN.length);
  }, 600_000);

  it('never offers a program that fails its replay, and says which example differed', async () => {
    const { home, d } = await setup({ compile: 'auto' });
    const wrong = PROGRAM.replace('"%.2f"', '"%.1f"');
    const compile = await learn(home, d, wrong);
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    const [program] = programsOf(d.store.db, 'ledger');
    expect(program?.status).toBe('not_compilable');
    expect(program?.reason).toContain('its program failed replay: it did not reproduce job');
    expect(program?.reason).toContain('ledger.csv: row 2, column 2: expected "279.84", got "279.8"');
    expect(d.store.logs(compile.id).map((e) => e.message).join('\n')).toContain('is not offered');
    // The next invoice goes to the agent, and no second compile job is queued for it.
    await agentJob(home, d, 'FlipkartInvoice.pdf', 'BLR_WFLD20151000982590,319.00', false);
    expect(jobsOf(d, 'ledger').filter((j) => j.trigger === 'compile')).toHaveLength(1);
  }, 600_000);

  it('a program cannot tell replay from a live run by what output/ holds: replay shows it the outputs folder as its examples saw it', async () => {
    const { home, d } = await setup({ compile: 'auto' });
    // The person keeps a note in the outputs folder. A program that finds output/ without it
    // "knows" it is being replayed, and only then writes the right totals.
    fs.mkdirSync(home.outputs('ledger'), { recursive: true });
    fs.writeFileSync(path.join(home.outputs('ledger'), 'README.txt'), 'the ledger of our invoices\n');
    const twoFaced = PROGRAM.replace('return "%.2f" % float', 'return ("%.1f" if os.path.exists("output/README.txt") else "%.2f") % float');
    expect(twoFaced).not.toBe(PROGRAM);
    const compile = await learn(home, d, twoFaced);
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    const [program] = programsOf(d.store.db, 'ledger');
    // Replayed with README.txt in output/, it gives itself away: never approved, never run.
    expect(program?.status).toBe('not_compilable');
    expect(program?.reason).toContain('ledger.csv: row 2, column 2: expected "279.84", got "279.8"');
    expect(fs.readFileSync(path.join(home.outputs('ledger'), 'README.txt'), 'utf8')).toBe('the ledger of our invoices\n');
  }, 600_000);

  it('a task the model says cannot be compiled is marked so, with the reason, and not tried again', async () => {
    const { home, d, server } = await setup();
    const compile = await learn(home, d, () => server.enqueue(turn.text('cannot be compiled: each row needs judgement about which total is meant.')));
    expect(compile.status, compile.reason ?? '').toBe('succeeded');
    expect(programsOf(d.store.db, 'ledger')[0]).toMatchObject({ status: 'not_compilable', reason: 'cannot be compiled: each row needs judgement about which total is meant.', source: null });
    await agentJob(home, d, 'FlipkartInvoice.pdf', 'BLR_WFLD20151000982590,319.00', false);
    expect(jobsOf(d, 'ledger').filter((j) => j.trigger === 'compile')).toHaveLength(1);
    expect((await cli(home, ['rules', 'program', 'ledger'])).stdout).toContain('not compilable: cannot be compiled: each row needs judgement');
  }, 600_000);

  it('a compile job counts against the daily budget: once today\'s is spent it waits, asking nothing', async () => {
    // Each agent job here costs about $0.048: the third takes today's spending past $0.12.
    const { home, d, server } = await setup({}, { daily_budget_usd: 0.12 });
    for (const [i, [name, row]] of LEARN.entries()) await agentJob(home, d, name, row, i === 0);
    expect(d.store.spentToday()).toBeGreaterThan(0.12);
    let compile: JobRow | undefined;
    await waitUntil(() => (compile = jobsOf(d, 'ledger').find((j) => j.trigger === 'compile' && j.status === 'waiting')) !== undefined, 'the compile job to wait', 60_000);
    expect(compile?.reason).toContain('daily budget reached');
    expect(server.messageRequests()).toHaveLength(6);
    expect(programsOf(d.store.db, 'ledger')).toEqual([]);
  }, 600_000);

  it('a compile job over its compile_max_cost_usd fails before asking, and the rule goes on with the agent', async () => {
    const { home, d, server } = await setup({ compile_max_cost_usd: 0.0001 });
    const compile = await learn(home, d, () => undefined);
    expect(compile.status).toBe('failed');
    expect(compile.reason).toContain('max_cost_usd');
    expect(programsOf(d.store.db, 'ledger')).toEqual([]);
    const before = server.messageRequests().length;
    await agentJob(home, d, 'FlipkartInvoice.pdf', 'BLR_WFLD20151000982590,319.00', false);
    expect(server.messageRequests().length).toBe(before + 2);
    // One newer example is not enough to try again (recompile_after: 3).
    expect(jobsOf(d, 'ledger').filter((j) => j.trigger === 'compile')).toHaveLength(1);
  }, 600_000);
});
