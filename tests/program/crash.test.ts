/**
 * kill -9 of the daemon while a program job runs: nothing is published by the killed attempt,
 * the next start runs the job again (the program again, no model: this home has no API key),
 * publishes its row once, and leaves no container behind. Real daemon processes, real Docker.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addExample, programsOf, taskHash } from '../../src/program/store.js';
import { LEDGER_PROGRAM, seedProgram } from './seed.js';
import { Store } from '../../src/queue/store.js';
import { ownerId } from '../../src/sandbox/container.js';
import { RuleSet } from '../../src/rules/registry.js';
import { KEY, invoice, serve } from '../agent/helpers.js';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';

const PROGRAM = LEDGER_PROGRAM;
/** The same program, slow to start: the kill lands while it runs. */
const SLOW = PROGRAM.replace('def main():', 'def main():\n    import time\n    time.sleep(4)');

let home: TestHome;
let server: MessagesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  home.cleanup();
});

function containersOf(owner: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=dropwork.owner=${ownerId(owner)}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('a program job cut off by kill -9', () => {
  it('publishes nothing half-done, runs again at the next start, and leaves no container', async () => {
    home = makeHome({
      rules: { 'ledger.yaml': 'name: ledger\nwatch: inbox/ledger\nfiles: "*.pdf"\ndo: Add one row invoice_number,total to ledger.csv.\n' },
      config: 'settle_ms: 100\nretry_base_ms: 50\nretry_max_ms: 200\nsandbox: docker\nnotify: false\n',
    });
    seedProgram(home.paths, SLOW);
    fs.mkdirSync(home.inbox('ledger'), { recursive: true });
    const first = await spawnDaemon(home);
    fs.copyFileSync(invoice('AzureInterior.pdf'), path.join(home.inbox('ledger'), 'AzureInterior.pdf'));
    const db = (): Store => new Store(home.paths.dbFile);
    const jobOf = (): { id: number; status: string; runner?: string | null; crashes: number } | undefined => {
      const s = db();
      try {
        return s.list({ rule: 'ledger' }).find((j) => j.file?.endsWith(path.join('inbox', 'ledger', 'AzureInterior.pdf')));
      } finally {
        s.close();
      }
    };
    // Killed once its container is up and the program is sleeping.
    await waitFor(() => jobOf()?.status === 'running' && containersOf(home.paths.dataDir).length > 0, 60_000, 'the program running');
    await new Promise((r) => setTimeout(r, 1000));
    first.kill('SIGKILL');
    await exitOf(first);
    expect(fs.existsSync(path.join(home.output('ledger'), 'ledger.csv'))).toBe(false);

    const second = await spawnDaemon(home);
    await waitFor(() => jobOf()?.status === 'succeeded', 90_000, 'the job done after the restart');
    const job = jobOf()!;
    expect(job).toMatchObject({ runner: 'program', crashes: 1 });
    expect(fs.readFileSync(path.join(home.output('ledger'), 'ledger.csv'), 'utf8')).toBe('invoice_number,total\nINV/2023/03/0008,279.84\n');
    second.kill('SIGTERM');
    expect(await exitOf(second)).toBe(0);
    await waitFor(() => containersOf(home.paths.dataDir).length === 0, 30_000, 'no container left');
  }, 240_000);
});

/** Three agent jobs kept as examples: the first made the ledger, the next two appended to it. */
function seedExamples(h: TestHome): void {
  const rules = RuleSet.of(h.paths);
  rules.reload();
  const rule = rules.rules.get('ledger');
  if (!rule) throw new Error(rules.errors.map((e) => e.message).join('\n'));
  const store = new Store(h.paths.dbFile);
  let ledger = 'invoice_number,total\n';
  for (const [i, [name, row]] of [['AzureInterior.pdf', 'INV/2023/03/0008,279.84'], ['NetpresseInvoice.pdf', '2022089083,56.02'], ['QualityHosting.pdf', '30064443,34.73']].entries()) {
    const job = store.enqueue({ rule: 'ledger', file: `/earlier/${name as string}`, sha256: 'x', trigger: 'watch', dedupe: false })!;
    store.db.prepare("UPDATE jobs SET status = 'succeeded' WHERE id = ?").run(job.id);
    const dir = path.join(h.paths.dataDir, 'examples', 'ledger', String(job.id));
    fs.mkdirSync(path.join(dir, 'input'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'after'), { recursive: true });
    fs.copyFileSync(invoice(name as string), path.join(dir, 'input', name as string));
    if (i > 0) {
      fs.mkdirSync(path.join(dir, 'before'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'before', 'ledger.csv'), ledger);
    }
    ledger += `${row as string}\n`;
    fs.writeFileSync(path.join(dir, 'after', 'ledger.csv'), ledger);
    fs.writeFileSync(path.join(dir, 'example.json'), JSON.stringify({ job: job.id, input: name, outputs: [{ path: 'ledger.csv', kind: i ? 'appended' : 'created' }] }));
    addExample(store.db, { job_id: job.id, rule: 'ledger', task_hash: taskHash(rule), dir, cost_usd: 0.05 });
  }
  store.close();
}

describe('a compile job cut off by kill -9', () => {
  it('runs again at the next start and offers one program, proven on every example', async () => {
    server = await serve();
    home = makeHome({
      rules: { 'ledger.yaml': 'name: ledger\nwatch: inbox/ledger\nfiles: "*.pdf"\ndo: Add one row invoice_number,total to ledger.csv.\n' },
      config: `settle_ms: 100\nretry_base_ms: 50\nretry_max_ms: 200\nsandbox: docker\nnotify: false\nprovider: {base_url: "${server.url}"}\n`,
    });
    home.env.ANTHROPIC_API_KEY = KEY;
    seedExamples(home);
    // The first attempt's request is still waiting for its answer when the daemon is killed.
    server.enqueue(turn.slow(120_000, turn.text('never read')));
    const first = await spawnDaemon(home);
    const compileJob = (): { id: number; status: string; crashes: number } | undefined => {
      const s = new Store(home.paths.dbFile);
      try {
        return s.list({ rule: 'ledger' }).find((j) => j.trigger === 'compile');
      } finally {
        s.close();
      }
    };
    await waitFor(() => server?.messageRequests().length === 1, 60_000, 'the compile job asking');
    expect(compileJob()?.status).toBe('running');
    first.kill('SIGKILL');
    await exitOf(first);

    server.enqueue(turn.toolUse({ name: 'write_file', input: { path: 'output/program/main.py', content: PROGRAM } }), turn.text('Wrote program/main.py.'));
    const second = await spawnDaemon(home);
    await waitFor(() => compileJob()?.status === 'succeeded', 120_000, 'the compile job done after the restart');
    second.kill('SIGTERM');
    expect(await exitOf(second)).toBe(0);
    expect(compileJob()?.crashes).toBe(1);
    const s = new Store(home.paths.dbFile);
    try {
      const programs = programsOf(s.db, 'ledger');
      expect(programs.map((p) => [p.version, p.status])).toEqual([[1, 'suggested']]);
      expect(programs[0]?.replay.map((r) => r.exact)).toEqual([true, true, true]);
      expect(s.list({ rule: 'ledger' }).filter((j) => j.trigger === 'compile')).toHaveLength(1);
    } finally {
      s.close();
    }
  }, 300_000);
});
