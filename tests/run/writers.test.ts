/**
 * A file queued by hand (`dropwork run FILE`) had no settle window: a process still holding it
 * open for writing is waited for before anything is published, and what it wrote then is seen.
 * Real CLI process, real writer process (Linux /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/queue/store.js';
import { cli, makeHome, waitFor, type TestHome } from '../support/home.js';

let home: TestHome;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  home.cleanup();
});

describe.runIf(process.platform === 'linux')('dropwork run FILE while a writer holds the file', () => {
  it('publishes nothing until the writer closes it, then sees what it wrote', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: copies\nwatch: inbox/copies\nactions: [{copy: done}]\n' }, config: 'notify: false\n' });
    fs.mkdirSync(home.inbox('copies'), { recursive: true });
    const file = path.join(home.inbox('copies'), 'scan.txt');
    fs.writeFileSync(file, 'page 1\n');
    // A scanner that has written page 1 and pauses; told to, it writes page 2 and closes.
    const writer = spawn(process.execPath, ['-e', `const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'a'); console.log('open'); process.stdin.once('data', () => { fs.writeSync(fd, 'page 2\\n'); fs.closeSync(fd); process.exit(0); });`, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(writer);
    await new Promise((resolve) => writer.stdout?.once('data', resolve));
    const run = cli(home, ['run', file, '--wait', '--json']);
    const jobs = (): { id: number; status: string; reason: string | null }[] => {
      if (!fs.existsSync(home.paths.dbFile)) return [];
      const s = new Store(home.paths.dbFile);
      try {
        return s.list({ rule: 'copies' }).reverse();
      } finally {
        s.close();
      }
    };
    const job = (): { id: number; status: string; reason: string | null } | undefined => jobs()[0];
    await waitFor(() => job()?.status === 'running', 60_000, 'the job running');
    await new Promise((r) => setTimeout(r, 1500));
    expect(job()?.status).toBe('running');
    expect(fs.existsSync(path.join(home.output('copies'), 'done', 'scan.txt'))).toBe(false);
    writer.stdin?.write('go\n');
    await run;
    expect(job()).toMatchObject({ status: 'skipped', reason: expect.stringContaining('the file changed while it was processed') as unknown });
    // The whole file (both pages) gets a job of its own (which this process may have run already):
    // what is published is never page 1 alone.
    expect(job()?.reason).toContain(`its new content is job ${jobs()[1]?.id}`);
    expect(['queued', 'running', 'succeeded']).toContain(jobs()[1]?.status);
    const out = path.join(home.output('copies'), 'done', 'scan.txt');
    if (fs.existsSync(out)) expect(fs.readFileSync(out, 'utf8')).toBe('page 1\npage 2\n');
  }, 120_000);
});
