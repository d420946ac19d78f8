import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { cli, spawnDaemon } from '../support/home.js';
import { useCluster } from '../support/team.js';

const team = useCluster();

describe('files travel with their jobs', () => {
  it('a worker runs the copy that travelled, the collecting host trashes the original, a file too large is skipped', async () => {
    const url = team.cluster.database();
    const collector = team.home({ config: `database: ${url}\nrole: collect\nhost_name: laptop\nsettle_ms: 150\nmax_file_mb: 0.01\n` });
    const worker = team.home({ config: `database: ${url}\nrole: work\nhost_name: server\nsettle_ms: 150\n` });
    const inbox = collector.inbox('scans');
    const outputs = path.join(worker.root, 'outputs');
    // The worker's rule file names the same inbox path, but it never reads it: the rule's text is
    // the team's, and the inbox is on the laptop.
    const rule = `name: scans\nwatch: ${inbox}\noutput: ${outputs}\nafter: trash\nactions:\n  - copy: "."\n`;
    collector.writeRule('scans.yaml', rule);
    worker.writeRule('scans.yaml', rule);
    fs.mkdirSync(inbox, { recursive: true });
    const daemons = [await spawnDaemon(collector), await spawnDaemon(worker)];
    try {
      fs.writeFileSync(path.join(inbox, 'small.txt'), 'a receipt\n');
      fs.writeFileSync(path.join(inbox, 'big.bin'), Buffer.alloc(20_000, 7));
      const db = new pg.Client({ connectionString: url });
      db.on('error', () => undefined); // the cluster stops after the test
      await db.connect();
      const jobs = async () => (await db.query<{ id: string; file: string; status: string; reason: string | null; ran_by: string | null }>('SELECT id, file, status, reason, ran_by FROM dropwork.jobs ORDER BY id')).rows;
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const js = await jobs();
        const kept = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM dropwork.job_files')).rows[0]!.n);
        if (js.length === 2 && js.every((j) => j.status !== 'queued' && j.status !== 'running') && kept === 0 && !fs.existsSync(path.join(inbox, 'small.txt'))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const js = await jobs();
      const small = js.find((j) => j.file.endsWith('small.txt'));
      const big = js.find((j) => j.file.endsWith('big.bin'));
      expect(small?.status).toBe('succeeded');
      expect(small?.ran_by).toBe('server');
      expect(big?.status).toBe('skipped');
      expect(big?.reason).toMatch(/files up to max_file_mb: 0\.01 \(config\.yaml\) travel with their job/);
      expect(fs.readFileSync(path.join(outputs, 'small.txt'), 'utf8')).toBe('a receipt\n');
      // The laptop applied after: trash to its original once the server's job succeeded.
      expect(fs.existsSync(path.join(inbox, 'small.txt'))).toBe(false);
      expect(fs.existsSync(path.join(inbox, 'big.bin'))).toBe(true);
      const log = (await db.query<{ message: string }>("SELECT message FROM dropwork.job_log WHERE job_id = $1 AND kind = 'after' ORDER BY id", [small!.id])).rows.map((r) => r.message);
      expect(log[0]).toMatch(/the original is in an inbox of laptop/);
      expect(log[1]).toMatch(/moved the original to the trash .* \(on laptop\)/);
      const shown = await cli(worker, ['jobs', 'show', small!.id]);
      expect(shown.stdout).toContain('hosts:    queued on laptop, run on server');
      // The travelling copy is let go once the laptop has tidied up.
      expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM dropwork.job_files')).rows[0]!.n)).toBe(0);
      // It ran from the copy: the worker's jobs folder kept nothing of it.
      expect(fs.readdirSync(worker.paths.jobsDir).filter((f) => f.endsWith('.input'))).toEqual([]);
      await db.end();
    } finally {
      for (const d of daemons) d.kill('SIGTERM');
    }
  });
});
