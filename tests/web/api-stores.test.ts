/**
 * The dashboard's queries against each store (SQLite and PostgreSQL): the job list with its
 * filters and counts, and spending per day and rule. Called directly; tests/web/api.test.ts
 * covers the same endpoints over HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaults } from '../../src/config.js';
import type { JobRow } from '../../src/queue/status.js';
import type { Store } from '../../src/queue/store.js';
import { AWAITING_APPROVAL } from '../../src/run/approval.js';
import { listJobs } from '../../src/web/api/jobs.js';
import { spending } from '../../src/web/api/spending.js';
import type { WebDeps } from '../../src/web/deps.js';
import { stores } from '../support/stores.js';

type List = { jobs: { id: number; file: string; awaiting_approval: boolean }[]; has_more: boolean; counts: Record<string, number>; awaiting_approval: number };
type Spend = { budget_usd: number; today_usd: number; total_usd: number; days: { day: string; usd: number; by_rule: Record<string, number> }[]; rules: { rule: string; usd: number; jobs: number; input_tokens: number; output_tokens: number }[] };

const day = (d: Date): string => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

describe.each(stores())('the dashboard\'s queries ($name)', (backend) => {
  let store: Store;
  // Only what these two endpoints read; the rest of WebDeps is the daemon's (tests/web/helpers.ts).
  let deps: WebDeps;
  beforeEach(() => {
    store = backend.open(backend.fresh());
    // No rule files: a rule is known by its jobs (a rule removed since still lists its history).
    deps = { store, config: () => ({ ...defaults, daily_budget_usd: 2.5 }), ruleSet: () => ({ rules: new Map() }) } as unknown as WebDeps;
  });
  afterEach(() => store.close());

  const job = (rule: string, file: string): JobRow => store.enqueue({ rule, file, sha256: file, trigger: 'watch', dedupe: true })!;
  const get = <T>(fn: (d: WebDeps, u: URL) => unknown, query: string): T => fn(deps, new URL(`http://x/api?${query}`)) as T;

  it('lists jobs newest first, by status, rule, file name in any ASCII case, day and page', () => {
    const a = job('plain', '/in/Invoice-March.txt');
    const b = job('plain', '/in/photo.txt');
    const c = job('held', '/in/contract.txt');
    store.claim('w');
    store.move(a.id, 'succeeded', {}, { worker: 'w' });
    store.db.prepare('UPDATE jobs SET status = ?, reason = ?, payload = ? WHERE id = ?').run('waiting', AWAITING_APPROVAL, JSON.stringify({ staged: [] }), c.id);
    const all = get<List>(listJobs, '');
    expect(all.jobs.map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    expect(all.counts).toMatchObject({ succeeded: 1, waiting: 1, queued: 1 });
    expect(all.awaiting_approval).toBe(1);
    expect(all.jobs[0]?.awaiting_approval).toBe(true);
    expect(get<List>(listJobs, 'status=waiting').jobs.map((j) => j.id)).toEqual([c.id]);
    expect(get<List>(listJobs, 'rule=plain').jobs.map((j) => j.id)).toEqual([b.id, a.id]);
    expect(get<List>(listJobs, 'q=invoice').jobs.map((j) => j.id)).toEqual([a.id]);
    expect(get<List>(listJobs, 'q=MARCH').jobs.map((j) => j.id)).toEqual([a.id]);
    expect(get<List>(listJobs, 'limit=2')).toMatchObject({ has_more: true, jobs: [{ id: c.id }, { id: b.id }] });
    expect(get<List>(listJobs, 'limit=2&offset=2')).toMatchObject({ has_more: false, jobs: [{ id: a.id }] });
    expect(get<List>(listJobs, `day=${day(new Date())}`).jobs).toHaveLength(3);
    expect(get<List>(listJobs, 'day=2001-01-01').jobs).toHaveLength(0);
  });

  it('sums spending per local day and per rule, with what programs saved', () => {
    const usage = (usd: number) => ({ input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: usd });
    const [a, b, c] = [job('plain', '/in/a'), job('plain', '/in/b'), job('pdfs', '/in/c.pdf')] as [JobRow, JobRow, JobRow];
    for (const _ of [a, b, c]) store.claim('w');
    store.addUsage(a.id, usage(0.25));
    store.addUsage(b.id, usage(0.5));
    store.addUsage(c.id, usage(1));
    // Three days ago, in the last half second of that local day: it counts on that day.
    const end = new Date();
    end.setDate(end.getDate() - 2);
    end.setHours(0, 0, 0, 0);
    store.db.prepare('UPDATE jobs SET started_at = ? WHERE id = ?').run(end.getTime() - 300, c.id);
    const s = get<Spend>(spending, '');
    expect(s.budget_usd).toBe(2.5);
    expect(s.today_usd).toBeCloseTo(0.75, 10);
    expect(s.total_usd).toBeCloseTo(1.75, 10);
    expect(s.days).toHaveLength(30);
    expect(s.days[29]).toMatchObject({ day: day(new Date()), usd: 0.75, by_rule: { plain: 0.75 } });
    expect(s.days[26]).toMatchObject({ usd: 1, by_rule: { pdfs: 1 } });
    expect(s.rules).toEqual([
      { rule: 'pdfs', usd: 1, jobs: 1, input_tokens: 1000, output_tokens: 100 },
      { rule: 'plain', usd: 0.75, jobs: 2, input_tokens: 2000, output_tokens: 200 },
    ]);
    expect(get<Spend>(spending, 'days=7').days).toHaveLength(7);
  });
});
