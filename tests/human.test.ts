/**
 * The terminal and the dashboard say the same word for each status (the page's JavaScript
 * keeps its own copy of the table, so this is where a drift is caught), and the CLI prints
 * local times, said as such.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiHealth } from '../src/agent/health.js';
import { HELD_WORD, NO_FILE_WORDS, STATUS_WORDS, TRIGGER_WORDS, localizeTimes, localTime, zoneName } from '../src/human.js';
import { JOB_STATUSES } from '../src/queue/status.js';
import { Store } from '../src/queue/store.js';
import { cli, makeHome, REPO, type TestHome } from './support/home.js';

let home: TestHome | undefined;
afterEach(() => home?.cleanup());

describe('words', () => {
  it('are the dashboard\'s, one per status', async () => {
    // @ts-expect-error: the dashboard's modules are plain JavaScript for the browser.
    const dom = (await import('../src/web/public/dom.js')) as { STATUS_LABEL: Record<string, string> };
    expect(dom.STATUS_LABEL).toEqual(STATUS_WORDS);
    expect(Object.keys(STATUS_WORDS).sort()).toEqual([...JOB_STATUSES].sort());
    expect(fs.readFileSync(path.join(REPO, 'src/web/public/dom.js'), 'utf8')).toContain(`'${HELD_WORD}'`);
  });

  it('say "not checked yet" for an API never asked, and when it last answered once it has', () => {
    const health = new ApiHealth();
    expect(health.describe()).toBe('not checked yet');
    health.failure('HTTP 529 overloaded_error');
    expect(health.describe()).toBe('not checked yet; 1 failed request(s) in a row: HTTP 529 overloaded_error');
    const at = new Date(2026, 10, 30, 9, 5, 7).getTime();
    health.success(at);
    // A fact for status: ISO, said in the reader's zone (the daemon's may differ), marked.
    expect(health.describe()).toBe(`up (last answer ${new Date(at).toISOString()})`);
    expect(localizeTimes(health.describe(), at)).toBe(`up (last answer 09:05:07 ${zoneName(at)})`);
  });

  it('say how a job came to be as the dashboard does', async () => {
    // @ts-expect-error: the dashboard's modules are plain JavaScript for the browser.
    const dom = (await import('../src/web/public/dom.js')) as { TRIGGER_WORDS: Record<string, string>; NO_FILE_WORDS: Record<string, string> };
    expect(dom.TRIGGER_WORDS).toEqual(TRIGGER_WORDS);
    expect(dom.NO_FILE_WORDS).toEqual(NO_FILE_WORDS);
  });
});

describe('times in the terminal', () => {
  it('are local, with the zone said once', async () => {
    home = makeHome();
    home.env.TZ = 'Asia/Kolkata'; // UTC+05:30 all year: a fixed, non-whole-hour offset
    const store = new Store(home.paths.dbFile);
    const at = Date.UTC(2026, 10, 30, 20, 0, 5);
    const job = store.enqueue({ rule: 'docs', file: '/tmp/a.pdf', sha256: 'a'.repeat(64), trigger: 'manual', dedupe: false }, at);
    store.close();
    expect(job).toBeDefined();
    const list = await cli(home, ['jobs']);
    expect(list.stdout).toContain('WHEN (UTC+05:30)');
    expect(list.stdout).toMatch(/Queued\s+docs\s+a\.pdf\s+2026-12-01 01:30:05/);
    const show = await cli(home, ['jobs', 'show', String(job?.id)]);
    expect(show.stdout).toContain('created:  2026-12-01 01:30:05 (UTC+05:30)');
    // And in this process, whatever its zone: the same clock reading as the Date's own.
    const d = new Date(at);
    expect(localTime(at)).toBe(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${d.toTimeString().slice(0, 8)}`);
    expect(zoneName(at)).toMatch(/^UTC[+-]\d\d:\d\d$/);
  });
});
