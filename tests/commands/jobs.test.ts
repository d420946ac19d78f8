import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import { cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

const RULES = { 'a.yaml': 'name: docs\nwatch: inbox/docs\nfiles: ["*.pdf"]\nactions: [{copy: "."}]\n' };

describe('the job history from the command line, without the daemon', () => {
  it('runs a file by hand, lists it, shows it, refuses to rerun the same content unless forced', async () => {
    home = makeHome({ rules: RULES });
    fs.mkdirSync(home.inbox('docs'), { recursive: true });
    const file = path.join(home.inbox('docs'), 'q3 report.pdf');
    fs.writeFileSync(file, 'pdf bytes');
    const run = await cli(home, ['run', file, '--wait']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/job 1 queued for rule "docs"\njob 1: Done\n {2}.*q3 report\.pdf/);
    expect(fs.readFileSync(path.join(home.output('docs'), 'q3 report.pdf'), 'utf8')).toBe('pdf bytes');

    const again = await cli(home, ['run', file]);
    expect(again.stdout).toBe('rule "docs" already processed this content; add --force to run it again\n');
    const forced = JSON.parse((await cli(home, ['run', file, '--force', '--wait', '--json'])).stdout) as JobView[];
    expect(forced[0]).toMatchObject({ id: 2, status: 'succeeded', trigger: 'manual' });

    const list = JSON.parse((await cli(home, ['jobs', '--json'])).stdout) as JobView[];
    expect(list.map((j) => j.id)).toEqual([2, 1]);
    expect(list[1]).toMatchObject({ rule: 'docs', file, status: 'succeeded', reason: null, attempts: 1, usage: { cost_usd: 0, input_tokens: 0, output_tokens: 0 } });
    expect(list[1]?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const show = await cli(home, ['jobs', 'show', '1']);
    expect(show.stdout).toMatch(/^job 1: Done\nrule: {5}docs\n/);
    expect(show.stdout).toMatch(/published {2}.*q3 report\.pdf/);
    const shown = JSON.parse((await cli(home, ['jobs', 'show', '1', '--json'])).stdout) as { log: { kind: string }[] };
    expect(shown.log.map((l) => l.kind)).toEqual(['started', 'step', 'staged', 'published', 'after']);

    expect((await cli(home, ['jobs', '--status', 'failed', '--json'])).stdout).toBe('[]\n');
    expect(await cli(home, ['jobs', '--status', 'broken'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/"broken" is not a job status/) });
    expect(await cli(home, ['jobs', 'show', '99'])).toMatchObject({ code: 1, stderr: 'dropwork: no job 99\n' });
  });

  it('cancels and retries jobs while the daemon is stopped; the next start runs what was retried', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: docs\nwatch: inbox/docs\noutput: outputs/docs\nactions: [{copy: "sub"}]\n' } });
    fs.mkdirSync(home.inbox('docs'), { recursive: true });
    // outputs/docs/sub is a file, so the copy cannot make its folder: a permanent failure.
    fs.mkdirSync(home.output('docs'), { recursive: true });
    fs.writeFileSync(path.join(home.output('docs'), 'sub'), 'in the way');
    const a = path.join(home.inbox('docs'), 'a.pdf');
    fs.writeFileSync(a, 'a');
    const failed = await cli(home, ['run', a, '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/job 1: Failed — .*(ENOTDIR|EEXIST|not a folder)/);

    const store = new Store(home.paths.dbFile);
    const queued = store.enqueue({ rule: 'docs', file: path.join(home.inbox('docs'), 'b.pdf'), sha256: 'b'.repeat(64), trigger: 'manual', dedupe: false })!;
    store.close();
    expect(await cli(home, ['jobs', 'cancel', String(queued.id)])).toMatchObject({ code: 0, stdout: `job ${queued.id} cancelled\n` });
    expect((await cli(home, ['jobs', 'cancel', String(queued.id)])).stderr).toBe(`dropwork: job ${queued.id} is already cancelled\n`);

    fs.rmSync(path.join(home.output('docs'), 'sub'));
    expect(await cli(home, ['jobs', 'retry', '1'])).toMatchObject({ code: 0, stdout: 'job 1 queued again\n' });
    const daemon = await spawnDaemon(home);
    try {
      await waitFor(() => fs.existsSync(path.join(home.output('docs'), 'sub', 'a.pdf')), 20_000, 'the retried job');
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
    const jobs = JSON.parse((await cli(home, ['jobs', '--json'])).stdout) as JobView[];
    expect(jobs.map((j) => [j.id, j.status])).toEqual([[queued.id, 'cancelled'], [1, 'succeeded']]);
    expect(jobs[1]?.attempts).toBe(2);
    const succeededAgain = await cli(home, ['jobs', 'retry', '1']);
    expect(succeededAgain.stderr).toMatch(/job 1 is succeeded; only failed, skipped, cancelled or waiting jobs can be retried/);
  });
});

describe('dropwork status', () => {
  it('reports the daemon, its inboxes and the queue', async () => {
    home = makeHome({ rules: RULES, config: 'settle_ms: 100\npoll: true\n' });
    const daemon = await spawnDaemon(home);
    try {
      await waitFor(() => fs.existsSync(home.paths.pidFile));
      const s = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { running: boolean; pid: number; inboxes: { path: string; mode: string }[]; queue: Record<string, number> };
      expect(s.running).toBe(true);
      expect(s.pid).toBe(daemon.pid);
      expect(s.inboxes).toEqual([{ path: home.inbox('docs'), mode: 'polling', reason: 'poll: true is set' }]);
      expect(s.queue).toEqual({ queued: 0, running: 0, waiting: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, reverted: 0 });
      const text = (await cli(home, ['status'])).stdout;
      expect(text).toMatch(/dropwork is running \(pid \d+/);
      expect(text).toContain(`${home.inbox('docs')}  polling (poll: true is set)`);
      // No request has been made: nothing is known of the API yet.
      expect(text).toContain("the model's API: not checked yet\n");
      expect(text).toContain(`inboxes and outputs: ${home.paths.files}\n`);
      const twin = await cli(home, ['start']);
      expect(twin).toMatchObject({ code: 1, stderr: expect.stringMatching(/already running for this home \(pid \d+\)/) });
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  });
});
