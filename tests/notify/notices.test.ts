/** The words of the notices, for the cases the desktop tests do not reach. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureAdvice, shorten, waitAdvice } from '../../src/notify/hints.js';
import { MAX_FAILURE_NOTICES, noticesFor, tilde } from '../../src/notify/notices.js';
import type { JobRow } from '../../src/queue/status.js';

let nextId = 1;
function job(patch: Partial<JobRow>): JobRow {
  const now = Date.now();
  return {
    id: nextId++, rule: 'r', file: null, sha256: null, dedupe_key: null, trigger: 'watch', status: 'succeeded', reason: null,
    attempts: 1, crashes: 0, run_at: now, locked_by: null, last_error: null, payload: '{}', outputs: '[]', input_tokens: 0,
    output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 0, created_at: now, started_at: now, finished_at: now, updated_at: now,
    reverted_at: null, reverted_by: null, undo_expired: 0,
    ...patch,
  };
}

describe('notice text', () => {
  it('caps distinct failures and counts the rest in one notice', () => {
    const failed = Array.from({ length: MAX_FAILURE_NOTICES + 3 }, (_, i) => job({ file: `/in/f${i}.pdf`, status: 'failed', reason: `problem number ${i}` }));
    const notices = noticesFor(undefined, 'r', { succeeded: [], failed, waiting: [] });
    expect(notices).toHaveLength(MAX_FAILURE_NOTICES + 1);
    expect(notices.at(-1)?.title).toBe('r: 3 more jobs failed');
  });

  it('tells jobs failing for a reason already told as "more"', () => {
    const failed = [job({ file: '/in/a.pdf', status: 'failed', reason: 'same' }), job({ file: '/in/b.pdf', status: 'failed', reason: 'same' })];
    const [n] = noticesFor(undefined, 'r', { succeeded: [], failed, waiting: [] }, undefined, new Set(['f:same']));
    expect(n?.title).toBe('r: 2 more jobs failed the same way');
    expect(n?.body).toBe('a.pdf, b.pdf\nsame\nSee what happened: dropwork jobs show ' + String(failed[0]?.id));
  });

  it('describes a scheduled run by what it made', () => {
    const done = job({ trigger: 'schedule', outputs: JSON.stringify(['/o/spending 2026-11-16.md']) });
    const [n] = noticesFor(undefined, 'weekly-spending', { succeeded: [done], failed: [], waiting: [] });
    expect(n?.title).toBe('weekly-spending: scheduled run done');
    expect(n?.body).toBe('Made spending 2026-11-16.md');
  });

  it('names a job without a file by its real trigger: a compile or a run by hand is no scheduled run', () => {
    const compile = job({ trigger: 'compile', status: 'failed', reason: 'no sandbox' });
    const [failed] = noticesFor(undefined, 'ledger', { succeeded: [], failed: [compile], waiting: [] });
    expect(failed?.title).toBe(`ledger: compile (job ${compile.id}) failed`);
    const [runs] = noticesFor(undefined, 'ledger', { succeeded: [job({ trigger: 'manual' }), job({ trigger: 'manual' })], failed: [], waiting: [] });
    expect(runs?.title).toBe('ledger: 2 runs done');
  });

  it('sends a compile job to the program it learned', () => {
    const [n] = noticesFor(undefined, 'bank statements', { succeeded: [job({ trigger: 'compile' })], failed: [], waiting: [] });
    expect(n?.title).toBe('bank statements: compile job done');
    expect(n?.body).toBe('See what it learned: dropwork rules program "bank statements"');
  });

  it('groups waits by kind and says what to do about budget and keys', () => {
    const waiting = [
      job({ file: '/in/a.pdf', status: 'waiting', reason: 'daily budget of $5.00 reached' }),
      job({ file: '/in/b.pdf', status: 'waiting', reason: 'daily budget of $5.00 reached' }),
      job({ file: '/in/c.pdf', status: 'waiting', reason: 'no API key configured' }),
    ];
    const notices = noticesFor(undefined, 'r', { succeeded: [], failed: [], waiting });
    expect(notices.map((n) => n.title)).toEqual(['r: 2 jobs wait for tomorrow\'s budget', 'r: c.pdf waits for an API key']);
    expect(notices[0]?.body).toContain('raise daily_budget_usd in config.yaml');
    expect(notices[1]?.body).toContain('credentials.env');
  });

  it('points a click at the job link when there is one, else the outputs folder', () => {
    const failed = [job({ file: '/in/a.pdf', status: 'failed', reason: 'x' })];
    const [withLink] = noticesFor(undefined, 'r', { succeeded: [], failed, waiting: [] }, (j) => `http://127.0.0.1:7717/jobs/${j.id}`);
    expect(withLink?.open).toMatch(/^http:\/\/127\.0\.0\.1:7717\/jobs\/\d+$/);
  });

  it('keeps reasons to a few words and picks the advice', () => {
    expect(shorten('the API rejected the key (401). It may have been revoked; make a new one.')).toBe('the API rejected the key (401)');
    expect(shorten('x'.repeat(300))).toHaveLength(110);
    expect(failureAdvice('authentication_error: invalid x-api-key', 4).todo).toContain('dropwork doctor');
    expect(failureAdvice('ENOSPC: no space left on device', 4).todo).toBe('Free some disk space, then: dropwork jobs retry 4');
    expect(waitAdvice('awaiting approval', 9).todo).toContain('dropwork jobs show 9');
    expect(tilde(path.join('/home/ada', 'outputs'), '/home/ada')).toBe('~/outputs');
  });
});
