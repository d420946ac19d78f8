/** The dashboard's view of a rule's program, and its decisions, over the real HTTP server. */
import { afterEach, describe, expect, it } from 'vitest';
import { request, startDashboard, type WebHome } from '../web/helpers.js';
import { seedProgram } from './seed.js';

const RULES = `
- name: ledger
  watch: inbox/ledger
  output: outputs/ledger
  do: Add one row invoice_number,total to ledger.csv.
- name: plain
  watch: inbox/plain
  actions:
    - copy: "."
`;

let web: WebHome | undefined;
afterEach(async () => {
  await web?.stop();
  web = undefined;
});

type Json = Record<string, unknown>;
async function get(w: WebHome, p: string): Promise<Json> {
  const r = await request(w.port, 'GET', p, w.bearer);
  expect(r.status, r.body).toBe(200);
  return r.json<Json>();
}
const post = (w: WebHome, p: string, body: unknown) => request(w.port, 'POST', p, w.page, JSON.stringify(body));

describe('GET/POST /api/rules/NAME/program', () => {
  it('shows a suggested program on the rules list and in full, approves it, and refuses a second decision', async () => {
    web = await startDashboard(RULES);
    expect(await get(web, '/api/rules/ledger/program')).toEqual({ rule: 'ledger', program: null, examples: 0, compile_after: 3 });
    seedProgram(web.paths, 'print("hi")\n', 'ledger', 'suggested');
    const rules = (await get(web, '/api/rules')).rules as { name: string; program: unknown }[];
    expect(rules.map((r) => [r.name, r.program])).toEqual([['ledger', { version: 1, status: 'suggested', reason: null }], ['plain', null]]);
    expect(await get(web, '/api/rules/ledger/program')).toMatchObject({ version: 1, status: 'suggested', source: 'print("hi")\n', model_cost_per_file_usd: 0 });
    const approved = await post(web, '/api/rules/ledger/program', { decision: 'approve' });
    expect(approved.status, approved.body).toBe(200);
    expect(approved.json<Json>()).toMatchObject({ status: 'approved', approved_by: 'from the dashboard' });
    const again = await post(web, '/api/rules/ledger/program', { decision: 'reject' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('v1 is approved');
    expect((await post(web, '/api/rules/ledger/program', { decision: 'maybe' })).status).toBe(400);
    expect((await post(web, '/api/rules/nope/program', { decision: 'approve' })).status).toBe(404);
    expect((await post(web, '/api/rules/ledger/program', { decision: 'forget' })).json<Json>()).toMatchObject({ program: null });
  });
});

describe('GET /api/spending', () => {
  it('says what programs saved: each file a program did, at what its example jobs cost with the model', async () => {
    web = await startDashboard(RULES);
    expect((await get(web, '/api/spending')).saved_by_programs).toEqual({ usd: 0, files: 0, by_rule: [] });
    seedProgram(web.paths, 'print("hi")\n');
    web.store.db.prepare("UPDATE jobs SET cost_usd = 0.04, started_at = 1 WHERE rule = 'ledger'").run();
    for (let i = 0; i < 3; i++) {
      const job = web.store.enqueue({ rule: 'ledger', file: `/in/${i}.pdf`, sha256: `s${i}`, trigger: 'watch', dedupe: false })!;
      web.store.db.prepare("UPDATE jobs SET status = 'succeeded', runner = 'program', program_version = 1, started_at = ? WHERE id = ?").run(Date.now(), job.id);
    }
    const saved = (await get(web, '/api/spending')).saved_by_programs as { usd: number; files: number; by_rule: unknown[] };
    expect(saved.files).toBe(3);
    expect(saved.usd).toBeCloseTo(0.12, 6);
    expect(saved.by_rule).toEqual([{ rule: 'ledger', files: 3, usd: expect.closeTo(0.12, 6) }]);
  });
});

