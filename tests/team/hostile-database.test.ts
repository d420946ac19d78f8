/**
 * The team database is not believed blindly. Anyone with its URL can write any row; here a
 * hostile writer does so with plain SQL against a real PostgreSQL, and a real worker (the built
 * CLI's daemon) refuses each case with a logged reason, reading, writing and deleting nothing
 * outside its inboxes and outputs:
 *  - a queued job naming a file of the worker that did not travel with it;
 *  - a held job whose "staged" output is a file of the worker, approved by a person;
 *  - a revert row, resumed at the worker's start, of a journal that plants authorized_keys;
 *  - an undo_blobs row named `../../…`, pruned at the worker's start.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, spawnDaemon, type TestHome } from '../support/home.js';
import { useCluster } from '../support/team.js';

const team = useCluster();
const SECRET = 'worker private key: never leaves this host\n';

let url: string;
let worker: TestHome;
let db: pg.Client;
let inbox: string;
let outputs: string;
let secret: string;

beforeAll(async () => {
  url = team.cluster.database();
  worker = team.home({ config: `database: ${url}\nrole: all\nhost_name: server\nsettle_ms: 150\n` });
  inbox = worker.inbox('scans');
  outputs = path.join(worker.root, 'outputs');
  fs.mkdirSync(inbox, { recursive: true });
  worker.writeRule('scans.yaml', `name: scans\nwatch: ${inbox}\noutput: ${outputs}\nactions:\n  - copy: "."\n`);
  secret = path.join(worker.root, 'user', 'id_ed25519');
  fs.writeFileSync(secret, SECRET, { mode: 0o600 });
  // The schema is made by the first host that starts; the hostile writer comes after.
  const d = await spawnDaemon(worker);
  d.kill('SIGTERM');
  await new Promise((r) => d.once('exit', r));
  db = new pg.Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
}, 60_000);

afterAll(async () => { await db?.end(); });

async function insertJob(fields: Record<string, unknown>): Promise<number> {
  const now = Date.now();
  const row = { rule: 'scans', trigger: 'watch', status: 'queued', run_at: now, created_at: now, updated_at: now, payload: '{}', ...fields };
  const cols = Object.keys(row);
  const r = await db.query<{ id: string }>(`INSERT INTO dropwork.jobs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(row));
  return Number(r.rows[0]!.id);
}

async function job(id: number): Promise<{ status: string; reason: string | null }> {
  return (await db.query<{ status: string; reason: string | null }>('SELECT status, reason FROM dropwork.jobs WHERE id = $1', [id])).rows[0]!;
}

function logText(): string {
  const dir = worker.paths.logsDir;
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('') : '';
}

function everyFile(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** A start and a clean stop of the worker: what it does at start (resume reverts, prune undo) is done then. */
async function restart(): Promise<void> {
  const d = await spawnDaemon(worker);
  d.kill('SIGTERM');
  await new Promise((r) => d.once('exit', r));
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('a hostile writer of the team database', () => {
  it('cannot make a worker run a file of its own that did not travel with the job', async () => {
    const d = await spawnDaemon(worker);
    try {
      // Queued "on another host", with no copy in job_files and no sha256; and once more as if
      // this very host had queued it, but outside its inboxes.
      const other = await insertJob({ file: secret, collected_by: 'laptop' });
      const own = await insertJob({ file: secret, collected_by: 'server' });
      const linked = path.join(inbox, 'innocent.txt');
      fs.symlinkSync(secret, linked);
      const viaLink = await insertJob({ file: linked, collected_by: 'server' });
      const until = Date.now() + 30_000;
      while (Date.now() < until && (await Promise.all([other, own, viaLink].map(job))).some((j) => j.status === 'queued' || j.status === 'running')) await new Promise((r) => setTimeout(r, 100));
      expect(await job(other)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no copy of it travelled with the job \(it was queued on laptop\)/) });
      expect(await job(own)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/it is not in an inbox of rule "scans"/) });
      expect(await job(viaLink)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/symbolic link/) });
      expect(logText()).toMatch(/refused a job: its file did not travel with it/);
      expect(everyFile(outputs).map((f) => fs.readFileSync(f, 'utf8'))).not.toContain(SECRET);
      expect(everyFile(worker.paths.jobsDir).map((f) => fs.readFileSync(f, 'utf8'))).not.toContain(SECRET);
      fs.rmSync(linked);
    } finally {
      d.kill('SIGTERM');
      await new Promise((r) => d.once('exit', r));
    }
  }, 60_000);

  it('cannot get a file of the worker published by having a held job approved', async () => {
    const held = { staged: [{ source: secret, dest: path.join(outputs, 'invoice.pdf'), onConflict: 'rename' }], changes: [], after: { kind: 'keep' }, rule_hash: '' };
    const id = await insertJob({ status: 'waiting', reason: 'awaiting approval', run_at: 9e15, payload: JSON.stringify(held), collected_by: 'server' });
    const r = await cli(worker, ['jobs', 'approve', String(id)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/the staged file .*id_ed25519 is not in this job's folder/);
    expect(await job(id)).toMatchObject({ status: 'failed' });
    expect(fs.readFileSync(secret, 'utf8')).toBe(SECRET); // not moved
    expect(fs.existsSync(path.join(outputs, 'invoice.pdf'))).toBe(false);
    // A destination outside the rule's folders is refused too, even for a real staged file.
    const staged = path.join(worker.paths.jobsDir, '777777', 'staged-0');
    const id2 = await insertJob({ status: 'waiting', reason: 'awaiting approval', run_at: 9e15, collected_by: 'server',
      payload: JSON.stringify({ ...held, staged: [{ source: staged, dest: path.join(worker.root, 'user', '.bashrc'), onConflict: 'overwrite' }] }) });
    await db.query('UPDATE dropwork.jobs SET id = 777777 WHERE id = $1', [id2]);
    fs.mkdirSync(path.dirname(staged), { recursive: true });
    fs.writeFileSync(staged, 'echo pwned\n');
    const r2 = await cli(worker, ['jobs', 'approve', '777777']);
    expect(r2.stderr + r2.stdout).toMatch(/\.bashrc is outside the folders rule writes to/);
    expect(fs.existsSync(path.join(worker.root, 'user', '.bashrc'))).toBe(false);
  }, 60_000);

  it('cannot plant authorized_keys through a revert resumed at start', async () => {
    // A file the worker published (content a collecting host chose), and a forged record that
    // job "moved the original" from ~/.ssh/authorized_keys to it, with a revert under way.
    fs.mkdirSync(outputs, { recursive: true });
    const key = 'ssh-ed25519 AAAA attacker\n';
    const published = path.join(outputs, 'key.txt');
    fs.writeFileSync(published, key);
    const keys = path.join(worker.root, 'user', '.ssh', 'authorized_keys');
    const id = await insertJob({ status: 'succeeded', finished_at: Date.now(), collected_by: 'server', ran_by: 'server' });
    await db.query(`INSERT INTO dropwork.undo_journal (job_id, kind, path, moved_to, sha256, size, at) VALUES ($1, 'original', $2, $3, $4, $5, $6)`,
      [id, keys, published, sha(key), key.length, Date.now()]);
    await db.query('INSERT INTO dropwork.reverts (jobs, by, started_at) VALUES ($1, $2, $3)', [JSON.stringify([id]), 'by nobody', Date.now()]);
    await restart();
    expect(fs.existsSync(keys)).toBe(false);
    expect(fs.readFileSync(published, 'utf8')).toBe(key);
    expect(await job(id)).toMatchObject({ status: 'succeeded' });
    expect(logText()).toMatch(/a revert could not be finished: revert of job \d+: nothing was changed:/);
    expect(logText()).toMatch(/job \d+ cannot be reverted here: 1 of the 1 change\(s\) its undo record lists were not recorded by this host/);
  }, 60_000);

  it('cannot delete a file through a kept version\'s name when undo is pruned at start', async () => {
    // A kept version "named" ../../…: pruning it would delete a file beside the data folder.
    const blobs = path.join(worker.paths.dataDir, 'undo', 'blobs');
    const victim = path.join(worker.root, 'victim.txt');
    // blobs.pathOf(name) is blobs/<first two characters>/<name>: here blobs/../<name>.
    const name = path.relative(path.join(blobs, '..'), victim);
    expect(name.startsWith('../')).toBe(true);
    expect(path.join(blobs, name.slice(0, 2), name)).toBe(victim);
    fs.writeFileSync(victim, 'keep me\n');
    await db.query('INSERT INTO dropwork.undo_blobs (sha256, size, kept_at) VALUES ($1, 8, 0)', [name]);

    await restart();
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(logText()).toMatch(/refused to delete a kept version: .*the name is not a sha256/);
    expect((await db.query('SELECT count(*) AS n FROM dropwork.undo_blobs')).rows[0]).toEqual({ n: '0' });
  }, 60_000);
});
