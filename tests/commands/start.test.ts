import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/queue/store.js';
import { REPO, cli, exitOf, makeHome, spawnDaemon, waitFor, type TestHome } from '../support/home.js';
import { startMessagesServer, turn, type MessagesServer } from '../support/messages-server.js';
import { request } from '../web/helpers.js';

let home: TestHome;
let server: MessagesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  home.cleanup();
});

describe('the quick start', () => {
  it('`dropwork start` on a new home sets it up with the example rules and runs them', async () => {
    home = makeHome();
    fs.rmSync(home.paths.home, { recursive: true });
    const daemon = await spawnDaemon(home);
    try {
      expect(daemon.output()).toContain(`drop files into ${path.join(home.paths.home, 'inbox', 'sort')}`);
      expect(fs.readdirSync(home.paths.rulesDir).sort()).toEqual(['meeting-notes.yaml', 'receipts.yaml', 'sort-by-month.yaml', 'weekly-spending.yaml']);
      for (const inbox of ['receipts', 'sort', 'meeting-notes']) expect(fs.statSync(home.inbox(inbox)).isDirectory()).toBe(true);
      fs.writeFileSync(path.join(home.inbox('sort'), 'holiday.jpg'), 'jpeg');
      const now = new Date();
      const dest = path.join(home.paths.home, 'outputs', 'sorted', String(now.getFullYear()), String(now.getMonth() + 1).padStart(2, '0'), 'holiday.jpg');
      await waitFor(() => fs.existsSync(dest), 20_000, 'the sorted photo');
      await waitFor(() => !fs.existsSync(path.join(home.inbox('sort'), 'holiday.jpg')), 5000, 'the original to go to the trash');
    } finally {
      daemon.kill('SIGINT');
      expect(await exitOf(daemon)).toBe(0);
    }
  });

  it('`dropwork init` is safe to run twice and never overwrites a rule', async () => {
    home = makeHome();
    fs.rmSync(home.paths.home, { recursive: true });
    const first = await cli(home, ['init']);
    expect(first.stdout).toMatch(/^Set up dropwork\.\nyour inboxes and outputs: /);
    fs.writeFileSync(path.join(home.paths.rulesDir, 'receipts.yaml'), 'name: mine\nwatch: inbox/mine\nactions: [{copy: x}]\n');
    const second = await cli(home, ['init']);
    expect(second.stdout).toMatch(/^Already set up\.\n/);
    expect(fs.readFileSync(path.join(home.paths.rulesDir, 'receipts.yaml'), 'utf8')).toContain('name: mine');
  });
  it('puts the inboxes and outputs in a visible ~/dropwork, settings and history where they were, and says so', async () => {
    home = makeHome();
    // A person's machine: no DROPWORK_HOME, the platform's folders under HOME.
    const user = home.env.HOME as string;
    delete home.env.DROPWORK_HOME;
    delete home.env.XDG_CONFIG_HOME;
    home.env.XDG_DATA_HOME = path.join(user, '.local', 'share');
    const init = await cli(home, ['init']);
    expect(init.code, init.stderr).toBe(0);
    const files = path.join(user, 'dropwork');
    expect(init.stdout).toContain(`your inboxes and outputs: ${files}\nsettings and rules:       ${path.join(user, '.config', 'dropwork')}\n`);
    expect(init.stdout).toContain(`drop files into ${path.join(files, 'inbox', 'sort')}`);
    expect(init.stdout).toContain(`results go to ${path.join(files, 'outputs', 'sorted')}`);
    expect(fs.readdirSync(files).sort()).toEqual(['inbox', 'outputs']);
    expect(fs.readdirSync(path.join(files, 'inbox')).sort()).toEqual(['meeting-notes', 'receipts', 'sort']);
    expect(fs.readdirSync(path.join(user, '.config', 'dropwork')).sort()).toEqual(['config.yaml', 'rules']);
    const status = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { files: string; database: string };
    expect(status).toMatchObject({ files, database: path.join(user, '.local', 'share', 'dropwork', 'dropwork.db') });

    // DROPWORK_FILES moves them; an absolute folder in a rule stays where it says.
    const elsewhere = path.join(home.root, 'Documents', 'drops');
    home.env.DROPWORK_FILES = elsewhere;
    fs.writeFileSync(path.join(user, '.config', 'dropwork', 'rules', 'abs.yaml'), `name: abs\nwatch: ${path.join(home.root, 'abs-in')}\noutput: done\nactions: [{copy: "."}]\n`);
    const again = await cli(home, ['init']);
    expect(again.stdout).toContain(`drop files into ${path.join(elsewhere, 'inbox', 'sort')}`);
    expect(again.stdout).toContain(`drop files into ${path.join(home.root, 'abs-in')}\n`);
    expect(again.stdout).toContain(`results go to ${path.join(elsewhere, 'done')}\n`);
  });
  it('says why Ctrl-C waits while a job runs, and a second Ctrl-C stops now with the job back in the queue', async () => {
    const key = 'sk-ant-test-ctrl-c';
    // A model that takes two minutes to answer: the job is still running when Ctrl-C comes.
    server = await startMessagesServer({ apiKey: key, onRequest: () => turn.slow(120_000, turn.text('late')) });
    home = makeHome({
      rules: { 'slow.yaml': 'name: slow\nwatch: inbox/slow\ndo: Summarise it.\n' },
      config: `settle_ms: 150\nsandbox: none\nprovider:\n  base_url: ${server.url}\n`,
    });
    delete home.env.ANTHROPIC_API_KEY;
    fs.writeFileSync(path.join(home.paths.home, 'credentials.env'), `ANTHROPIC_API_KEY=${key}\n`, { mode: 0o600 });
    fs.mkdirSync(home.inbox('slow'), { recursive: true });
    const daemon = await spawnDaemon(home);
    let code: number | null = null;
    try {
      fs.writeFileSync(path.join(home.inbox('slow'), 'notes.txt'), 'Call Ana on Monday.\n');
      await waitFor(() => server!.messageRequests().length > 0, 30_000, 'the job to ask the model');
      daemon.kill('SIGINT');
      await waitFor(() => daemon.output().includes('finishing 1 running job (up to 30 s); press Ctrl-C again to stop now'), 10_000, 'the first Ctrl-C to be explained');
      await new Promise((r) => setTimeout(r, 1000));
      expect(daemon.exitCode).toBeNull(); // still finishing, as it said
      const second = Date.now();
      daemon.kill('SIGINT');
      code = await exitOf(daemon);
      expect(Date.now() - second).toBeLessThan(15_000);
      expect(daemon.output()).toContain('stopping now: 1 running job goes back to the queue and runs again at the next start');
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    expect(code).toBe(0);
    const store = new Store(home.paths.dbFile);
    try {
      expect(store.list({ rule: 'slow', limit: 10 }).map((j) => j.status)).toEqual(['queued']);
    } finally {
      store.close();
    }
  }, 120_000);

  // The quick start runs `npm start`: Ctrl-C reaches npm, its shell and the daemon together, and
  // must still be one Ctrl-C for the daemon (running jobs get their grace), not two.
  it('under `npm start` (the quick start) one Ctrl-C is one: running jobs still get their grace', async () => {
    const key = 'sk-ant-test-npm-start';
    server = await startMessagesServer({ apiKey: key, onRequest: () => turn.slow(120_000, turn.text('late')) });
    home = makeHome({
      rules: { 'slow.yaml': 'name: slow\nwatch: inbox/slow\ndo: Summarise it.\n' },
      config: `settle_ms: 150\nsandbox: none\nprovider:\n  base_url: ${server.url}\n`,
    });
    delete home.env.ANTHROPIC_API_KEY;
    fs.writeFileSync(path.join(home.paths.home, 'credentials.env'), `ANTHROPIC_API_KEY=${key}\n`, { mode: 0o600 });
    fs.mkdirSync(home.inbox('slow'), { recursive: true });
    // In its own process group, as a terminal runs it: Ctrl-C goes to npm and the daemon alike.
    const npm = spawn('npm', ['start'], { cwd: REPO, env: { ...home.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${home.env.PATH ?? ''}` }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    npm.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const group = npm.pid as number;
    try {
      await waitFor(() => out.includes('dropwork is running'), 60_000, 'npm start to start the daemon');
      fs.writeFileSync(path.join(home.inbox('slow'), 'notes.txt'), 'Call Ana on Monday.\n');
      await waitFor(() => server!.messageRequests().length > 0, 30_000, 'the job to ask the model');
      process.kill(-group, 'SIGINT');
      await waitFor(() => out.includes('finishing 1 running job (up to 30 s); press Ctrl-C again to stop now'), 10_000, 'the Ctrl-C to be explained');
      await new Promise((r) => setTimeout(r, 1000));
      expect(out).not.toContain('stopping now');
      expect(npm.exitCode).toBeNull(); // still finishing: the one Ctrl-C was not taken for two
      process.kill(-group, 'SIGINT');
      await exitOf(npm);
      expect(out).toContain('stopping now: 1 running job goes back to the queue and runs again at the next start');
    } finally {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        /* all gone */
      }
    }
  }, 120_000);
});

describe('the dashboard address at start (issue 19)', () => {
  it('the terminal gets an address that signs in, once; the log file gets no token', async () => {
    home = makeHome({ rules: { 'a.yaml': 'name: a\nwatch: inbox/a\nactions: [{copy: x}]\n' } });
    const daemon = await spawnDaemon(home);
    try {
      await waitFor(() => /open the dashboard/.test(daemon.output()), 10_000, 'the dashboard line');
      const lines = daemon.output().split('\n').filter((l) => l.includes('token='));
      expect(lines).toHaveLength(1);
      const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(lines[0] ?? '')?.[1] ?? '';
      const token = fs.readFileSync(path.join(home.paths.dataDir, 'ui-token'), 'utf8').trim();
      expect(url.endsWith(`?token=${encodeURIComponent(token)}`)).toBe(true);
      // Clicking it signs in: the dashboard keeps the token in a cookie and opens the page.
      // As a browser opens a link clicked in a terminal: a top-level navigation from nowhere
      // (raw HTTP, since fetch sends its own Sec-Fetch-Mode: cors, which is no navigation).
      const link = new URL(url);
      const opened = await request(Number(link.port), 'GET', link.pathname + link.search, { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' });
      expect(opened.status).toBe(303);
      const cookie = opened.headers['set-cookie']?.[0] ?? '';
      expect(cookie).toContain(token);
      const page = await fetch(new URL(opened.headers.location ?? '/', url), { headers: { cookie: cookie.split(';')[0] ?? '' } });
      expect(page.status).toBe(200);
      const log = fs.readFileSync(path.join(home.paths.logsDir, 'dropwork.log'), 'utf8');
      expect(log).toContain('the dashboard is up');
      expect(log).not.toContain(token);
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  }, 120_000);
});
