import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from './support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

interface Row { file: string; status: string; n: number }

function outcomes(db: string): Row[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT file, status, count(*) OVER (PARTITION BY file) AS n FROM jobs').all() as Row[];
  } finally {
    conn.close();
  }
}

describe('a daemon killed with SIGKILL mid-burst', () => {
  it('loses nothing: after a restart every file has exactly one outcome and one output', async () => {
    home = makeHome({
      rules: { 'copy.yaml': 'name: copy\nwatch: inbox/burst\nconcurrency: 2\nactions: [{copy: "."}]\n' },
      config: 'settle_ms: 100\nconcurrency: 2\n',
    });
    const inbox = home.inbox('burst');
    fs.mkdirSync(inbox, { recursive: true });
    const first = await spawnDaemon(home);
    const N = 400;
    for (let i = 0; i < N; i++) fs.writeFileSync(path.join(inbox, `file ${i}.txt`), `content of file ${i}\n`.repeat(200));
    // Kill it while it is still working through the burst.
    await waitFor(() => fs.existsSync(home.output('copy')) && fs.readdirSync(home.output('copy')).length > 20, 30_000, 'some outputs');
    first.kill('SIGKILL');
    await exitOf(first);
    const during = outcomes(home.paths.dbFile);
    expect(during.filter((r) => r.status === 'succeeded').length).toBeLessThan(N);

    const second = await spawnDaemon(home);
    await waitFor(() => {
      const rows = outcomes(home.paths.dbFile);
      return rows.length === N && rows.every((r) => r.status === 'succeeded');
    }, 60_000, 'every file done');
    second.kill('SIGTERM');
    expect(await exitOf(second)).toBe(0);

    const rows = outcomes(home.paths.dbFile);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => path.basename(r.file))).size).toBe(N);
    const outputs = fs.readdirSync(home.output('copy'));
    expect(outputs.filter((f) => f.startsWith('.'))).toEqual([]);
    expect(outputs.sort()).toEqual(Array.from({ length: N }, (_, i) => `file ${i}.txt`).sort());
    for (const f of outputs.slice(0, 50)) {
      expect(fs.readFileSync(path.join(home.output('copy'), f), 'utf8')).toBe(`content of ${f.replace('.txt', '')}\n`.repeat(200));
    }
  }, 120_000);

  it('stops on SIGTERM with exit 0 and re-queues nothing it finished', async () => {
    home = makeHome({ rules: { 'copy.yaml': 'name: copy\nwatch: inbox/a\nactions: [{copy: "."}]\n' } });
    fs.mkdirSync(home.inbox('a'), { recursive: true });
    const d = await spawnDaemon(home);
    fs.writeFileSync(path.join(home.inbox('a'), 'x.txt'), 'x');
    await waitFor(() => outcomes(home.paths.dbFile).some((r) => r.status === 'succeeded'), 20_000);
    d.kill('SIGTERM');
    expect(await exitOf(d)).toBe(0);
    expect(d.output()).toMatch(/stopped/);
    expect(fs.existsSync(home.paths.pidFile)).toBe(false);
  });
});
