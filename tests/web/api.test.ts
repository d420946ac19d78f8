import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/queue/store.js';
import type { JobRow } from '../../src/queue/status.js';
import { PLAIN_RULE } from '../approve/helpers.js';
import { dashboardPerTest, request, until, type WebHome } from './helpers.js';

const RULES = `${PLAIN_RULE}- name: pdfs
  watch: inbox/pdfs
  files: "*.pdf"
  output: outputs/pdfs
  actions:
    - copy: "."
- name: held
  watch: inbox/held
  output: outputs/held
  approve: always
  after: trash
  actions:
    - copy: "."
`;

const openDashboard = dashboardPerTest(RULES);

type Json = Record<string, unknown>;
const getJson = async <T = Json>(w: WebHome, p: string): Promise<T> => {
  const r = await request(w.port, 'GET', p, w.bearer);
  expect(r.status, `${p}: ${r.body}`).toBe(200);
  return r.json<T>();
};
const postJson = (w: WebHome, p: string, body: unknown = {}): ReturnType<typeof request> => request(w.port, 'POST', p, w.page, JSON.stringify(body));

describe('GET /api/jobs', () => {
  it('lists newest first and filters by status, rule, file name and day', async () => {
    const web = await openDashboard();
    const a = await web.run('plain', 'inbox/plain/invoice-march.txt', 'a');
    const b = await web.run('plain', 'inbox/plain/photo.txt', 'b');
    const c = await web.run('held', 'inbox/held/contract.txt', 'c');
    type List = { jobs: { id: number; status: string; awaiting_approval: boolean; file: string }[]; has_more: boolean; counts: Record<string, number>; awaiting_approval: number };
    const all = await getJson<List>(web, '/api/jobs');
    expect(all.jobs.map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    expect(all.counts).toMatchObject({ succeeded: 2, waiting: 1 });
    expect(all.awaiting_approval).toBe(1);
    expect(all.jobs[0]?.awaiting_approval).toBe(true);
    expect((await getJson<List>(web, '/api/jobs?status=waiting')).jobs.map((j) => j.id)).toEqual([c.id]);
    expect((await getJson<List>(web, '/api/jobs?rule=plain')).jobs.map((j) => j.id)).toEqual([b.id, a.id]);
    expect((await getJson<List>(web, '/api/jobs?q=invoice')).jobs.map((j) => j.id)).toEqual([a.id]);
    const paged = await getJson<List>(web, '/api/jobs?limit=2');
    expect(paged.jobs).toHaveLength(2);
    expect(paged.has_more).toBe(true);
    expect((await getJson<List>(web, '/api/jobs?limit=2&offset=2')).jobs.map((j) => j.id)).toEqual([a.id]);
    const d = new Date();
    const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    expect((await getJson<List>(web, `/api/jobs?day=${today}`)).jobs).toHaveLength(3);
    expect((await getJson<List>(web, '/api/jobs?day=2001-01-01')).jobs).toHaveLength(0);
    expect((await request(web.port, 'GET', '/api/jobs?status=sleeping', web.bearer)).status).toBe(400);
    expect((await request(web.port, 'GET', '/api/jobs?day=yesterday', web.bearer)).status).toBe(400);
  });
});

describe('GET /api/jobs/ID', () => {
  it('gives the job, its step log with the transcript data, and for a held job the approval', async () => {
    const web = await openDashboard();
    const job = await web.run('held', 'inbox/held/contract.txt', 'c');
    web.store.log(job.id, 'tool_call', 'read_file', { name: 'read_file', input: { path: 'input/contract.txt' } });
    web.store.log(job.id, 'tool_result', 'c', { output: 'c', is_error: false });
    type Detail = { job: { status: string; run_at: string | null }; approval: { outputs: { dest: string; exists: boolean }[]; changes: string[] }; log: { kind: string; data: unknown }[]; original: { available: boolean } };
    const d = await getJson<Detail>(web, `/api/jobs/${job.id}`);
    expect(d.job).toMatchObject({ status: 'waiting', run_at: null });
    expect(d.approval.outputs).toEqual([expect.objectContaining({ dest: path.join(web.paths.home, 'outputs/held/contract.txt'), exists: false })]);
    expect(d.approval.changes).toEqual([`will move the original ${path.join(web.paths.home, 'inbox/held/contract.txt')} to the trash`]);
    expect(d.log.map((e) => e.kind)).toEqual(['started', 'step', 'staged', 'held', 'tool_call', 'tool_result']);
    expect(d.log[4]?.data).toEqual({ name: 'read_file', input: { path: 'input/contract.txt' } });
    expect(d.original.available).toBe(true);
    expect((await request(web.port, 'GET', '/api/jobs/999', web.bearer)).status).toBe(404);
    expect((await request(web.port, 'GET', '/api/jobs/abc', web.bearer)).status).toBe(404);
  });
});

describe('acting on jobs', () => {
  it('approve publishes and tells the live pages; deny discards with the reason', async () => {
    const web = await openDashboard();
    const seen: string[] = [];
    web.events.on('job:succeeded', (j) => { seen.push(`succeeded ${j.id}`); });
    web.events.on('job:cancelled', (j) => { seen.push(`cancelled ${j.id}`); });
    const one = await web.run('held', 'inbox/held/one.txt', 'one');
    const two = await web.run('held', 'inbox/held/two.txt', 'two');
    const approved = await postJson(web, `/api/jobs/${one.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.json<{ job: { status: string; outputs: string[] } }>().job).toMatchObject({ status: 'succeeded', outputs: [path.join(web.paths.home, 'outputs/held/one.txt')] });
    expect(fs.readFileSync(path.join(web.paths.home, 'outputs/held/one.txt'), 'utf8')).toBe('one');
    const denied = await postJson(web, `/api/jobs/${two.id}/deny`, { reason: 'not this one' });
    expect(denied.json<{ job: { status: string; reason: string } }>().job).toMatchObject({ status: 'cancelled', reason: 'denied: not this one' });
    expect(fs.existsSync(path.join(web.paths.home, 'outputs/held/two.txt'))).toBe(false);
    expect(seen).toEqual([`succeeded ${one.id}`, `cancelled ${two.id}`]);
    const again = await postJson(web, `/api/jobs/${one.id}/approve`);
    expect(again.status).toBe(409);
    expect(again.json().error).toContain('not awaiting approval');
    expect((await postJson(web, `/api/jobs/${two.id}/deny`, { reason: 42 })).status).toBe(400);
  });

  it('retry queues a finished job again and cancel stops a queued one', async () => {
    const web = await openDashboard();
    const job = await web.run('plain', 'inbox/plain/r.txt', 'r');
    const retried = await postJson(web, `/api/jobs/${job.id}/retry`);
    expect(retried.status).toBe(409); // succeeded jobs are done for good
    const queued = web.store.enqueue({ rule: 'plain', file: path.join(web.paths.home, 'inbox/plain/r.txt'), sha256: null, trigger: 'manual', dedupe: false }) as JobRow;
    expect((await postJson(web, `/api/jobs/${queued.id}/cancel`)).status).toBe(200);
    expect(web.store.get(queued.id)?.reason).toBe('cancelled from the dashboard');
    expect((await postJson(web, `/api/jobs/${queued.id}/retry`)).status).toBe(200);
    expect(web.store.get(queued.id)?.status).toBe('queued');
    expect((await request(web.port, 'GET', `/api/jobs/${queued.id}/retry`, web.bearer)).status).toBe(405);
  });
});

describe('GET /api/rules and the dry run', () => {
  it('shows each rule with its last runs, and each problem with its file, line, column and the line itself', async () => {
    const web = await openDashboard();
    await web.run('plain', 'inbox/plain/a.txt', 'a');
    fs.writeFileSync(path.join(web.paths.rulesDir, 'broken.yaml'), 'name: broken\nwatch: inbox/broken\noutput: outputs/broken\nactions:\n  - copy: "."\napprove: sometimes\n');
    web.rules.reload();
    type Rules = { rules: { name: string; valid: boolean; approve: string; holds_next_job: boolean; last_runs: { status: string }[]; description: string }[]; problems: { file: string; line: number; col: number; field: string; message: string; excerpt: string }[] };
    const r = await getJson<Rules>(web, '/api/rules');
    expect(r.rules.map((x) => x.name)).toEqual(['plain', 'pdfs', 'held']);
    expect(r.rules[0]).toMatchObject({ valid: true, description: 'Copy into the outputs folder', last_runs: [expect.objectContaining({ status: 'succeeded' })] });
    expect(r.rules[2]).toMatchObject({ approve: 'always', holds_next_job: true });
    expect(r.problems).toEqual([expect.objectContaining({ file: path.join(web.paths.rulesDir, 'broken.yaml'), line: 6, field: 'approve', excerpt: 'approve: sometimes' })]);
    expect(r.problems[0]?.col).toBeGreaterThan(0);
  });

  it('lists the inbox and tries a file against the rule without touching anything', async () => {
    const web = await openDashboard();
    const inbox = path.join(web.paths.home, 'inbox/pdfs');
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'report.pdf'), '%PDF');
    fs.writeFileSync(path.join(inbox, 'notes.txt'), 'n');
    fs.writeFileSync(path.join(inbox, '.hidden'), 'h');
    const list = await getJson<{ files: { name: string; path: string }[] }>(web, '/api/rules/pdfs/inbox');
    expect(list.files.map((f) => f.name).sort()).toEqual(['notes.txt', 'report.pdf']);
    const yes = await postJson(web, '/api/rules/pdfs/test', { file: path.join(inbox, 'report.pdf') });
    expect(yes.json()).toMatchObject({ match: true, steps: ['copy into .', `would write ${path.join(web.paths.home, 'outputs/pdfs/report.pdf')}`] });
    const no = await postJson(web, '/api/rules/pdfs/test', { file: path.join(inbox, 'notes.txt') });
    expect(no.json()).toMatchObject({ match: false, why: 'its name matches none of files: *.pdf' });
    expect(fs.existsSync(path.join(web.paths.home, 'outputs/pdfs'))).toBe(false);
    fs.mkdirSync(path.join(web.paths.home, 'inbox/held'), { recursive: true });
    fs.writeFileSync(path.join(web.paths.home, 'inbox/held/h.txt'), 'h');
    const held = await postJson(web, '/api/rules/held/test', { file: path.join(web.paths.home, 'inbox/held/h.txt') });
    expect(held.json<{ steps: string[] }>().steps).toContain('would wait for your approval before publishing anything');
    expect((await postJson(web, '/api/rules/nope/test', { file: 'x' })).status).toBe(404);
  });
});

describe('GET /api/spending', () => {
  it('sums cost per day and per rule, with the daily budget', async () => {
    const web = await openDashboard(2.5);
    const a = await web.run('plain', 'inbox/plain/a.txt', 'a');
    const b = await web.run('plain', 'inbox/plain/b.txt', 'b');
    const c = await web.run('pdfs', 'inbox/pdfs/c.pdf', 'c');
    const usage = (usd: number): Parameters<typeof web.store.addUsage>[1] => ({ input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: usd });
    web.store.addUsage(a.id, usage(0.25));
    web.store.addUsage(b.id, usage(0.5));
    web.store.addUsage(c.id, usage(1));
    // A job from three days ago counts on its own day.
    web.store.db.prepare('UPDATE jobs SET started_at = ? WHERE id = ?').run(Date.now() - 3 * 86_400_000, c.id);
    type Spend = { budget_usd: number; today_usd: number; total_usd: number; days: { day: string; usd: number; by_rule: Record<string, number> }[]; rules: { rule: string; usd: number; jobs: number; input_tokens: number }[] };
    const s = await getJson<Spend>(web, '/api/spending');
    expect(s.budget_usd).toBe(2.5);
    expect(s.today_usd).toBeCloseTo(0.75);
    expect(s.total_usd).toBeCloseTo(1.75);
    expect(s.days).toHaveLength(30);
    expect(s.days[29]).toMatchObject({ usd: 0.75, by_rule: { plain: 0.75 } });
    expect(s.days[26]).toMatchObject({ usd: 1, by_rule: { pdfs: 1 } });
    expect(s.rules).toEqual([
      { rule: 'pdfs', usd: 1, jobs: 1, input_tokens: 1000, output_tokens: 100 },
      { rule: 'plain', usd: 0.75, jobs: 2, input_tokens: 2000, output_tokens: 200 },
    ]);
    expect((await getJson<Spend>(web, '/api/spending?days=7')).days).toHaveLength(7);
    expect((await request(web.port, 'GET', '/api/spending?days=0', web.bearer)).status).toBe(400);
  });
});

describe('GET /api/events', () => {
  it('streams the daemon\'s job events at once, and changes other processes commit', async () => {
    const web = await openDashboard();
    const job = await web.run('plain', 'inbox/plain/a.txt', 'a');
    let text = '';
    const req = http.get({ host: '127.0.0.1', port: web.port, path: '/api/events', headers: { ...web.bearer, Host: `127.0.0.1:${web.port}` } });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.headers['content-type']).toContain('text/event-stream');
    res.on('data', (c: Buffer) => { text += c.toString(); });
    await until('hello', () => text.includes('event: hello'));
    web.events.emit('job:succeeded', web.store.get(job.id) as JobRow);
    await until('a job event', () => text.includes(`event: job\ndata: {"id":${job.id},"status":"succeeded","rule":"plain"}`));
    // `dropwork run` from a terminal writes through its own connection.
    const other = new Store(web.paths.dbFile);
    other.enqueue({ rule: 'plain', file: null, sha256: null, trigger: 'manual', dedupe: false });
    other.close();
    await until('a changed event', () => text.includes('event: changed'), 5000);
    req.destroy();
  });
});

describe('GET /api/status', () => {
  it('sums up the queue and today\'s spending', async () => {
    const web = await openDashboard();
    await web.run('held', 'inbox/held/x.txt', 'x');
    const s = await getJson<{ queue: Record<string, number>; rules: number; daily_budget_usd: number; live: boolean }>(web, '/api/status');
    expect(s).toMatchObject({ rules: 3, daily_budget_usd: 5, live: true, queue: expect.objectContaining({ waiting: 1 }) });
  });
});
