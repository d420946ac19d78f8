/**
 * What the terminal says about jobs and the daemon is true of them (issue 19, items 6-9): a
 * compile job is not a "scheduled run", a job waiting for its API key has not run (nor
 * finished, nor used an attempt), every time is local and marked, every fact is a sentence,
 * and a host that only collects files is never told it lacks a key. The real CLI and the real
 * daemon, in Europe/Paris, so a UTC time passed off as local shows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/queue/store.js';
import { cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';
import fs from 'node:fs';
import path from 'node:path';

let home: TestHome | undefined;
let daemon: Awaited<ReturnType<typeof spawnDaemon>> | undefined;
afterEach(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await exitOf(daemon);
  }
  daemon = undefined;
  home?.cleanup();
  home = undefined;
});

const ISO_Z = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/;

const AGENT_RULE = 'name: meeting-notes\nwatch: inbox/meetings\noutput: outputs/meetings\ndo: |\n  Summarize the file into summary.md.\n';
const SCHEDULED = 'name: night-scans\nschedule: "30 3 * * *"\noutput: outputs/night\ndo: |\n  Write a line into night.md.\n';

function parisHome(config = 'settle_ms: 150\nnotify: false\n'): TestHome {
  const h = makeHome({ rules: { 'meetings.yaml': AGENT_RULE, 'night.yaml': SCHEDULED }, config });
  h.env.TZ = 'Europe/Paris';
  fs.mkdirSync(h.inbox('meetings'), { recursive: true });
  return h;
}

describe('a compile job', () => {
  it('is said as a compile, with no empty file or sha256, and a failed one leaves its trail in rules program', async () => {
    home = parisHome();
    const store = new Store(home.paths.dbFile);
    const job = store.enqueue({ rule: 'meeting-notes', file: null, sha256: null, trigger: 'compile', dedupe: false });
    if (!job) throw new Error('not queued');
    // As the worker leaves a compile whose model call failed.
    store.db.prepare("UPDATE jobs SET status = 'failed', attempts = 1, started_at = created_at, finished_at = created_at + 2000, reason = 'the program did not reproduce example 3' WHERE id = ?").run(job.id);
    store.close();

    const show = await cli(home, ['jobs', 'show', String(job.id)]);
    expect(show.stdout).not.toContain('scheduled');
    expect(show.stdout).not.toMatch(/^file:/m);
    expect(show.stdout).not.toMatch(/^sha256:/m);
    expect(show.stdout).toContain("trigger:  writing a program from the rule's examples; attempt 1");
    const list = await cli(home, ['jobs']);
    expect(list.stdout).toMatch(/meeting-notes\s+\(compile\)/);

    const program = await cli(home, ['rules', 'program', 'meeting-notes']);
    expect(program.stdout).toContain(`the last compile (job ${job.id}, queued `);
    expect(program.stdout).toContain('failed: the program did not reproduce example 3');
    expect(program.stdout).toContain(`try again with: dropwork jobs retry ${job.id}`);
  });
});

describe('the daemon, as status and jobs show say it', () => {
  it('a job waiting for the API key has not run: no attempt, no start, no finish; status says facts as sentences, in local time', async () => {
    home = parisHome();
    daemon = await spawnDaemon(home);
    fs.writeFileSync(path.join(home.inbox('meetings'), 'monday.txt'), 'notes\n');
    const jobs = await waitForJobs(home, (all) => all.find((j) => j.status === 'waiting'));
    const show = await cli(home, ['jobs', 'show', String(jobs.id)]);
    expect(show.stdout).toContain('trigger:  dropped into an inbox; not run yet');
    expect(show.stdout).not.toMatch(/finished|started attempt|attempt 1/);
    const json = JSON.parse((await cli(home, ['jobs', 'show', String(jobs.id), '--json'])).stdout) as { attempts: number; started_at: string | null; finished_at: string | null; log: { kind: string }[] };
    expect(json).toMatchObject({ attempts: 0, started_at: null, finished_at: null });
    expect(json.log.map((l) => l.kind)).not.toContain('started');

    const status = (await cli(home, ['status'])).stdout;
    expect(status).not.toMatch(ISO_Z);
    expect(status).toMatch(/next: night-scans at (\d{4}-\d\d-\d\d )?03:30:00 UTC\+01:00/);
    expect(status).not.toMatch(/spent_today|paused_rules|\bkey missing\b|programs: compile|notify: on false/);
    expect(status).toContain('API key: missing: jobs of agent rules wait until one is set');
    expect(status).toMatch(/^spent today: \$0\.00 of the \$\d+\.\d\d daily budget$/m);

    // The terminal's log: absent fields left out, times local with the zone said once.
    expect(daemon.output()).not.toMatch(/=null|=undefined/);
    expect(daemon.output()).toContain('(times below are local, UTC+01:00)');
  });

  it('a host that only collects files is not told it lacks a key, and status agrees with doctor', async () => {
    home = parisHome('settle_ms: 150\nnotify: false\nrole: collect\n');
    daemon = await spawnDaemon(home);
    expect(daemon.output()).not.toContain('no API key yet');
    const status = (await cli(home, ['status'])).stdout;
    expect(status).toContain('API key: not needed here: this host only collects files');
    expect(status).not.toMatch(/missing/);
  });
});

async function waitForJobs<T>(h: TestHome, pick: (jobs: { id: number; status: string }[]) => T | undefined): Promise<T> {
  let found: T | undefined;
  await waitFor(() => {
    const store = new Store(h.paths.dbFile);
    try {
      found = pick(store.list({ limit: 50 }));
    } finally {
      store.close();
    }
    return found !== undefined;
  }, 20_000, 'the job');
  return found as T;
}
