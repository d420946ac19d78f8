/**
 * Schedules in a real daemon with the registered plugin, real node-cron and real time: an
 * every-second expression keeps each case to a few seconds. `do:` jobs are run by a stand-in
 * agent that plugs in where the real one does (setAgentRunner) and takes 1.5 s per job.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { plugins } from '../../src/plugins.js';
import type { JobRow } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import { setAgentRunner } from '../../src/run/runners.js';
import '../../src/schedule/index.js';
import { stateKey, type ScheduleState } from '../../src/schedule/scheduler.js';
import { dropFiles, makeHome, startDaemon, waitUntil, type TestHome } from '../notify/home.js';

let home: TestHome;
let daemon: Daemon | undefined;
const seenInputs: string[] = [];

beforeAll(() => {
  setAgentRunner(async (ctx) => {
    seenInputs.push(ctx.rule.input ?? '');
    await sleep(1500);
    const out = path.join(ctx.workdir, 'report.md');
    fs.writeFileSync(out, `report for ${JSON.stringify(JSON.parse(ctx.job.payload))}\n`);
    return { staged: [{ source: out, dest: path.join(ctx.rule.output, 'report.md'), onConflict: 'rename' }] };
  });
});
afterAll(() => setAgentRunner(undefined));
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  home.remove();
});

const jobs = (d: Daemon): JobRow[] => d.store.list({ limit: 1000 }).reverse();
const schedulerStatus = (): Record<string, unknown> => plugins().find((p) => p.name === 'schedule')?.status?.() ?? {};

function report(extra = '', schedule = '* * * * * *'): string {
  return `name: report\nschedule: "${schedule}"\ninput: outputs/receipts\noutput: outputs/report\ndo: sum up the receipts\n${extra}`;
}

describe('scheduled rules', () => {
  it('queues one job per firing with input from the rule, and never two at once', async () => {
    home = makeHome();
    home.folder('outputs/receipts');
    home.rule('report', report());
    daemon = await startDaemon(home);
    const d = daemon;
    let mostAtOnce = 0;
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const c = d.store.counts();
      mostAtOnce = Math.max(mostAtOnce, c.queued + c.running);
      await sleep(50);
    }
    const all = jobs(d);
    // Five seconds of firings every second, jobs of 1.5 s, no overlap: two or three jobs.
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.length).toBeLessThanOrEqual(4);
    expect(mostAtOnce).toBe(1);
    for (const j of all) {
      expect(j.trigger).toBe('schedule');
      expect(j.file).toBeNull();
      expect((JSON.parse(j.payload) as { fired_at: string }).fired_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    }
    expect(seenInputs.at(-1)).toBe(path.join(home.dir, 'outputs/receipts'));
    expect(home.logLines().some((l) => l.msg.startsWith('skipped this firing'))).toBe(true);
    expect(schedulerStatus()).toMatchObject({ scheduled: 1, next: expect.stringMatching(/^report at /) as unknown });
  });

  it('sweeps the inboxes of a scheduled rule with watch + actions at each firing, and does not watch them', async () => {
    home = makeHome();
    const inbox = home.folder('inbox/scans');
    home.rule('scans', 'name: scans\nwatch: inbox/scans\nschedule: "*/2 * * * * *"\noutput: outputs/scans\nactions:\n  - copy: "."\n');
    daemon = await startDaemon(home, { settle_ms: 200 });
    expect(daemon.inboxes.list()).toEqual([]);
    dropFiles(inbox, 3, (i) => `scan-${i}.png`);
    const d = daemon;
    await waitUntil(() => d.store.counts().succeeded === 3, 'the sweep handled three files', 10_000);
    expect(fs.readdirSync(path.join(home.dir, 'outputs/scans')).sort()).toEqual(['scan-0.png', 'scan-1.png', 'scan-2.png']);
    // Later firings see the same content and make no second job for it.
    await sleep(2500);
    expect(jobs(d)).toHaveLength(3);
    expect(home.logLines().filter((l) => l.msg === 'swept the inboxes').length).toBeGreaterThanOrEqual(2);
  });

  it('leaves a file a process holds open for writing to a later firing, and then takes it whole', async () => {
    home = makeHome();
    const inbox = home.folder('inbox/scans');
    home.rule('scans', 'name: scans\nwatch: inbox/scans\nschedule: "*/2 * * * * *"\noutput: outputs/scans\nactions:\n  - copy: "."\n');
    daemon = await startDaemon(home, { settle_ms: 200 });
    // A scanner that writes a page, pauses over several firings holding the file open, then the next.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'w');
      fs.writeSync(fd, 'page one\\n'); setTimeout(() => { fs.writeSync(fd, 'page two\\n'); fs.closeSync(fd); }, 5000);`, path.join(inbox, 'held.txt')]);
    const exited = new Promise((r) => writer.once('exit', r));
    const d = daemon;
    await sleep(4000);
    expect(jobs(d)).toEqual([]);
    await exited;
    await waitUntil(() => d.store.counts().succeeded === 1, 'the sweep took the finished file', 10_000);
    await sleep(2500);
    expect(jobs(d)).toHaveLength(1);
    expect(fs.readdirSync(path.join(home.dir, 'outputs/scans'))).toEqual(['held.txt']);
    expect(fs.readFileSync(path.join(home.dir, 'outputs/scans', 'held.txt'), 'utf8')).toBe('page one\npage two\n');
  });

  it('re-makes the task when the rule\'s schedule changes, and drops it when the schedule goes', async () => {
    home = makeHome();
    home.rule('report', report('', '0 0 8 * * MON'));
    daemon = await startDaemon(home);
    expect(schedulerStatus()).toMatchObject({ scheduled: 1 });
    const before = String(schedulerStatus().next);
    home.rule('report', report('timezone: Pacific/Kiritimati\n', '0 30 6 * * *'));
    await waitUntil(() => String(schedulerStatus().next) !== before, 'the new schedule is in force', 5000);
    expect(String(schedulerStatus().next)).toMatch(/:30:00\.000Z$/);
    fs.rmSync(path.join(home.paths.rulesDir, 'report.yaml'));
    await waitUntil(() => schedulerStatus().scheduled === 0, 'the task is gone', 5000);
  });
});

describe('catch_up', () => {
  /** The store as a daemon stopped three hours ago left it: an hourly rule last fired then. */
  function stoppedThreeHoursAgo(catchUp: boolean): void {
    home = makeHome();
    home.folder('outputs/receipts');
    home.rule('report', report(`catch_up: ${catchUp}\n`, '0 0 * * * *'));
    const store = new Store(home.paths.dbFile);
    store.setState(stateKey('report'), { schedule: '0 0 * * * *', last: Date.now() - 3 * 3_600_000 } satisfies ScheduleState);
    store.close();
  }

  it('runs a firing missed while the daemon was down once at the next start', async () => {
    stoppedThreeHoursAgo(true);
    daemon = await startDaemon(home);
    const all = jobs(daemon);
    expect(all).toHaveLength(1);
    expect(all[0]?.trigger).toBe('schedule');
    expect(JSON.parse(all[0]?.payload ?? '{}')).toMatchObject({ catch_up: true });
    const state = daemon.store.getState<ScheduleState>(stateKey('report'));
    expect(Date.now() - (state?.last ?? 0)).toBeLessThan(10_000);
  });

  it('does not without catch_up: true', async () => {
    stoppedThreeHoursAgo(false);
    daemon = await startDaemon(home);
    await sleep(500);
    expect(jobs(daemon)).toHaveLength(0);
  });
});
