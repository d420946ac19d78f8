import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { spawnDaemon } from '../support/home.js';
import { useCluster } from '../support/team.js';

const team = useCluster();

describe('two laptops syncing one folder', () => {
  it('make one job of the same content, and each host says what became of its copy', async () => {
    const url = team.cluster.database();
    const outputs = team.folder('dropwork-shared-drive-');
    // The same rule text on every host: the inbox is home-relative (each laptop's own copy of
    // the synced folder), the outputs a shared drive.
    const rule = `name: receipts\nwatch: Dropbox/Receipts\noutput: ${outputs}\nactions:\n  - copy: "."\n`;
    const hosts = ['ada-laptop', 'bo-laptop'].map((name) => team.home({ rules: { 'receipts.yaml': rule }, config: `database: ${url}\nrole: collect\nhost_name: ${name}\nsettle_ms: 150\n` }));
    const server = team.home({ rules: { 'receipts.yaml': rule }, config: `database: ${url}\nrole: work\nhost_name: server\nsettle_ms: 150\n` });
    const inboxes = hosts.map((h) => path.join(h.paths.home, 'Dropbox', 'Receipts'));
    for (const d of inboxes) fs.mkdirSync(d, { recursive: true });
    const daemons = [...await Promise.all(hosts.map((h) => spawnDaemon(h))), await spawnDaemon(server)];
    const db = new pg.Client({ connectionString: url });
    db.on('error', () => undefined); // the cluster stops after the test
    await db.connect();
    try {
      // The sync client writes the same file into both laptops' folders at about the same time.
      for (const d of inboxes) fs.writeFileSync(path.join(d, 'march.pdf'), '%PDF-1.4 receipt 42.00\n');
      type Row = { id: string; status: string; reason: string | null; collected_by: string };
      let rows: Row[] = [];
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        rows = (await db.query<Row>('SELECT id, status, reason, collected_by FROM dropwork.jobs ORDER BY id')).rows;
        if (rows.length === 2 && rows.every((r) => r.status === 'succeeded' || r.status === 'skipped')) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const ran = rows.filter((r) => r.status === 'succeeded');
      const skipped = rows.filter((r) => r.status === 'skipped');
      expect(ran).toHaveLength(1);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]?.reason).toMatch(new RegExp(`same content as job ${ran[0]!.id}`));
      expect(new Set(rows.map((r) => r.collected_by))).toEqual(new Set(['ada-laptop', 'bo-laptop']));
      expect(fs.readdirSync(outputs)).toEqual(['march.pdf']);
    } finally {
      await db.end();
      for (const d of daemons) d.kill('SIGTERM');
    }
  });
});
