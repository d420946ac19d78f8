import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, trashed, type TestHome } from './helpers.js';

const RULES = `
name: receipts
watch: inbox/receipts
output: outputs/receipts
approve: always
after: trash
actions:
  - move: "{modified:YYYY}"
`;

let home: TestHome;
afterEach(() => home?.close());

describe('dropwork jobs approve / deny (no daemon running)', () => {
  it('jobs show lists what a held job will publish and change; approve publishes it and says what it did', async () => {
    home = makeHome(RULES);
    const job = await home.run('receipts', 'inbox/receipts/taxi.txt', 'taxi 18');
    const original = path.join(home.paths.home, 'inbox/receipts/taxi.txt');
    const year = String(new Date(fs.statSync(original).mtimeMs).getFullYear());
    const out = path.join(home.paths.home, 'outputs/receipts', year, 'taxi.txt');

    const show = await home.cli('jobs', 'show', String(job.id));
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`job ${job.id}: Needs approval (dropwork jobs approve ${job.id}, or jobs deny ${job.id})`);
    expect(show.stdout).toContain(`will publish ${out}`);
    expect(show.stdout).toContain(`will move the original ${original} to the trash`);
    expect(show.stdout).toContain(`dropwork jobs approve ${job.id}`);

    const approved = await home.cli('jobs', 'approve', String(job.id));
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`job ${job.id} approved`);
    expect(approved.stdout).toContain(`will move the original ${original} to the trash`);
    expect(approved.stdout).toContain(`  ${out}`);
    expect(approved.stdout).toMatch(/moved the original to the trash \(.*Trash\/files\/taxi\.txt\)/);
    expect(fs.readFileSync(out, 'utf8')).toBe('taxi 18');
    expect(fs.existsSync(original)).toBe(false);
    expect(trashed(home.root)).toEqual(['taxi.txt']);

    const list = await home.cli('jobs', '--json');
    const [view] = JSON.parse(list.stdout) as { id: number; status: string; outputs: string[] }[];
    expect(view).toMatchObject({ id: job.id, status: 'succeeded', outputs: [out] });

    const twice = await home.cli('jobs', 'approve', String(job.id));
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`job ${job.id} is not awaiting approval; it is succeeded`);
  });

  it('deny discards the outputs and records the reason', async () => {
    home = makeHome(RULES);
    const job = await home.run('receipts', 'inbox/receipts/gift.txt', 'gift');
    const denied = await home.cli('jobs', 'deny', String(job.id), '--reason', 'personal, not business');
    expect(denied.code).toBe(0);
    expect(denied.stdout).toContain(`job ${job.id} denied: personal, not business`);
    const show = await home.cli('jobs', 'show', String(job.id), '--json');
    const view = JSON.parse(show.stdout) as { status: string; reason: string; run_at: string | null; log: { kind: string }[] };
    expect(view.status).toBe('cancelled');
    expect(view.reason).toBe('denied: personal, not business');
    expect(view.log.map((e) => e.kind)).toContain('denied');
    expect(fs.existsSync(path.join(home.paths.home, 'inbox/receipts/gift.txt'))).toBe(true);
    expect(fs.existsSync(path.join(home.paths.home, 'outputs/receipts'))).toBe(false);
    expect(fs.existsSync(path.join(home.paths.jobsDir, String(job.id)))).toBe(false);
  });

  it('explains a mistake: an unknown job, or a held job whose rule was removed', async () => {
    home = makeHome(RULES);
    const none = await home.cli('jobs', 'approve', '41');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no job 41');
    const job = await home.run('receipts', 'inbox/receipts/x.txt', 'x');
    fs.writeFileSync(path.join(home.paths.rulesDir, 'rules.yaml'), RULES.replace('name: receipts', 'name: renamed'));
    const gone = await home.cli('jobs', 'approve', String(job.id));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('the rule "receipts" no longer exists');
    expect((await home.cli('jobs', 'deny', String(job.id))).code).toBe(0);
  });
});
