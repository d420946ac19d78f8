import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { spawnDaemon, type TestHome } from '../support/home.js';
import { useCluster } from '../support/team.js';

/**
 * Three daemons with three homes on this machine act as three hosts of one team on a real
 * PostgreSQL server: one collects (watches the inboxes, runs nothing), two work. 2,000 files are
 * dropped across the collector's inboxes while one worker is killed with SIGKILL and started
 * again every 20 s and the database is restarted once. Every file must end as exactly one
 * succeeded job and one whole output.
 */
const FILES = Number(process.env.DROPWORK_TEAM_SOAK_FILES ?? 2000);
const DROP_SECONDS = 60;

const team = useCluster();

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a team of three hosts on one PostgreSQL database', () => {
  it('turns every file into one succeeded job and one whole output through kills and a database restart', async () => {
    const url = team.cluster.database();
    const root = team.folder('dropwork-team-');
    const inboxes = ['receipts', 'scans'].map((n) => path.join(root, 'collector', n));
    const outputs = path.join(root, 'shared-drive', 'outputs');
    for (const d of inboxes) fs.mkdirSync(d, { recursive: true });
    // Each host reads its own rules/ folder; the same text in each, as a team keeps it.
    const rules = Object.fromEntries(inboxes.map((inbox) => [`${path.basename(inbox)}.yaml`,
      `name: ${path.basename(inbox)}\nwatch: ${inbox}\noutput: ${path.join(outputs, path.basename(inbox))}\nactions:\n  - copy: "."\n`]));
    const home = (name: string, role: string): TestHome =>
      team.home({ rules, config: `database: ${url}\nrole: ${role}\nhost_name: ${name}\nsettle_ms: 200\nconcurrency: 4\nlease_seconds: 10\nrescan_minutes: 1\n` });
    const collector = home('office-laptop', 'collect');
    const steady = home('server-1', 'work');
    const flaky = home('server-2', 'work');
    const daemons = [await spawnDaemon(collector), await spawnDaemon(steady)];
    let flakyDaemon = await spawnDaemon(flaky);

    const dropped = new Map<string, string>();
    const started = Date.now();
    let kills = 0;
    let dbRestarted = false;
    for (let sent = 0, second = 0; sent < FILES; second++) {
      const batch = Math.ceil(FILES / DROP_SECONDS);
      for (let i = 0; i < batch && sent < FILES; i++, sent++) {
        const name = `f${String(sent).padStart(5, '0')}.txt`;
        const body = Buffer.alloc(16 + ((sent * 7919) % 120_000), `${name}\n`);
        const inbox = inboxes[sent % inboxes.length]!;
        fs.writeFileSync(path.join(inbox, name), body);
        dropped.set(`${path.basename(inbox)}/${name}`, sha(body));
      }
      await sleep(1000);
      if (second > 0 && second % 20 === 0) {
        flakyDaemon.kill('SIGKILL');
        kills++;
        await sleep(300);
        flakyDaemon = await spawnDaemon(flaky);
      }
      if (!dbRestarted && second === 30) {
        team.cluster.stop();
        await sleep(3000);
        team.cluster.start();
        dbRestarted = true;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(dbRestarted).toBe(true);

    const db = new pg.Client({ connectionString: url });
    db.on('error', () => undefined); // the cluster stops after the test
    await db.connect();
    const count = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const open = await count("SELECT count(*) AS n FROM dropwork.jobs WHERE status IN ('queued', 'running')");
      const done = await count("SELECT count(*) AS n FROM dropwork.jobs WHERE status = 'succeeded'");
      if (open === 0 && done >= FILES) break;
      await sleep(1000);
    }
    const jobs = (await db.query<{ rule: string; file: string; status: string; collected_by: string; ran_by: string; reason: string | null }>(
      'SELECT rule, file, status, collected_by, ran_by, reason FROM dropwork.jobs ORDER BY id')).rows;
    const hosts = (await db.query<{ name: string; role: string }>('SELECT name, role FROM dropwork.hosts ORDER BY name')).rows;
    await db.end();
    for (const d of [...daemons, flakyDaemon]) d.kill('SIGTERM');

    const byFile = new Map<string, typeof jobs>();
    for (const j of jobs) byFile.set(`${j.rule}/${path.basename(j.file)}`, [...(byFile.get(`${j.rule}/${path.basename(j.file)}`) ?? []), j]);
    const lost = [...dropped.keys()].filter((k) => !byFile.has(k));
    const duplicated = [...byFile].filter(([, js]) => js.length !== 1).map(([k]) => k);
    const notDone = jobs.filter((j) => j.status !== 'succeeded').map((j) => `${j.file}: ${j.status} ${j.reason ?? ''}`);
    const written = inboxes.flatMap((inbox) => {
      const dir = path.join(outputs, path.basename(inbox));
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => `${path.basename(inbox)}/${f}`) : [];
    });
    const half = written.filter((k) => dropped.get(k) !== sha(fs.readFileSync(path.join(outputs, k))));
    const ranBy = new Set(jobs.map((j) => j.ran_by));
    process.stdout.write(`three hosts: ${FILES} files in ${((Date.now() - started) / 1000).toFixed(0)} s, ${kills} kills of server-2, database restarted once; `
      + `lost ${lost.length}, duplicated ${duplicated.length}, not succeeded ${notDone.length}, outputs ${written.length}, half ${half.length}; run by ${[...ranBy].join(', ')}\n`);

    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(notDone).toEqual([]);
    expect(written.sort()).toEqual([...dropped.keys()].sort());
    expect(half).toEqual([]);
    // Every job was queued by the collector and run by a worker: the collector ran none.
    expect(new Set(jobs.map((j) => j.collected_by))).toEqual(new Set(['office-laptop']));
    expect(ranBy.has('office-laptop')).toBe(false);
    expect(hosts.map((h) => `${h.name} ${h.role}`)).toEqual(['office-laptop collect', 'server-1 work', 'server-2 work']);
  }, 600_000);
});
