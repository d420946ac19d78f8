/**
 * Every command and API route that takes a rule, job or user name refuses one that does not
 * exist (issue 19: `rules revert nosuch --since 1h` exited 0 with "no finished jobs of nosuch",
 * POST /api/rules/nosuch/revert answered 200). The walk reads the commands from the real CLI
 * program and the routes from routes.ts, so a command or route added later is walked too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { loadPlugins } from '../../src/plugin-list.js';
import { cli, makeHome, REPO, type TestHome } from '../support/home.js';
import { request, startDashboard, type WebHome } from '../web/helpers.js';

const RULE = 'name: docs\nwatch: inbox/docs\nfiles: ["*.pdf"]\nactions: [{copy: "."}]\n';

/** Every command with its full name ("jobs show"), its arguments and its options. */
function walk(cmd: Command, prefix: string[] = []): { words: string[]; args: string[]; options: string[] }[] {
  return cmd.commands.flatMap((c) => {
    const words = [...prefix, c.name()];
    const own = { words, args: c.registeredArguments.map((a) => a.name()), options: c.options.map((o) => o.long ?? '') };
    return [own, ...walk(c, words)];
  });
}

/** What each kind of name is refused with. */
const REFUSED = { rule: /no rule named "nosuch"/, id: /no job 999/, name: /no user nosuch/ } as const;

describe('unknown names on the command line', () => {
  let home: TestHome;
  beforeAll(() => { home = makeHome({ rules: { 'docs.yaml': RULE } }); });
  afterAll(() => home.cleanup());

  it('every command taking a rule, job or user name exits 1 with "no … named" for one that does not exist', async () => {
    await loadPlugins();
    const file = path.join(home.root, 'some.pdf');
    fs.writeFileSync(file, 'pdf');
    const calls: { argv: string[]; refused: RegExp }[] = [];
    for (const c of walk(buildProgram())) {
      const key = c.words.join(' ');
      if (key === 'users add') continue; // makes the name
      const named = c.args.find((a): a is keyof typeof REFUSED => a in REFUSED);
      if (named) {
        const argv = [...c.words, ...c.args.map((a) => (a === 'id' ? '999' : a === 'file' ? file : a === 'role' ? 'viewer' : 'nosuch'))];
        if (key === 'rules revert') argv.push('--since', '1h');
        calls.push({ argv, refused: REFUSED[named] });
      }
      if (c.options.includes('--rule')) {
        const args = c.args.map((a) => (a === 'file' ? file : 'nosuch'));
        calls.push({ argv: [...c.words, ...args, '--rule', 'nosuch'], refused: REFUSED.rule });
      }
    }
    // The walk found the commands the issue is about (and more).
    const keys = calls.map((c) => c.argv.slice(0, 2).join(' '));
    for (const k of ['rules test', 'rules program', 'rules revert', 'jobs show', 'jobs approve', 'jobs revert', 'users link', 'users remove', `run ${file}`, 'jobs --rule']) expect(keys).toContain(k);
    const results = await Promise.all(calls.map(async (c) => ({ ...c, r: await cli(home, c.argv) })));
    for (const { argv, refused, r } of results) {
      expect(r.code, `dropwork ${argv.join(' ')}: ${r.stdout}`).toBe(1);
      expect(r.stderr, `dropwork ${argv.join(' ')}`).toMatch(refused);
    }
    // A typo gets the closest name.
    const typo = await cli(home, ['rules', 'program', 'doc']);
    expect(typo).toMatchObject({ code: 1, stderr: expect.stringContaining('no rule named "doc" (did you mean "docs"?)') });
  }, 240_000);
});

describe('unknown names in the API (real HTTP)', () => {
  let web: WebHome;
  beforeAll(async () => { web = await startDashboard(RULE); });
  afterAll(async () => web.stop());

  it('every route with a rule or job in its path answers 404 for one that does not exist', async () => {
    const source = fs.readFileSync(path.join(REPO, 'src', 'web', 'routes.ts'), 'utf8');
    const routes = [...source.matchAll(/\.(get|post)\('(\/api\/[^']*:[^']*)'/g)].map((m) => ({ method: (m[1] as string).toUpperCase(), pattern: m[2] as string }));
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const { method, pattern } of routes) {
      const url = pattern.replace(':name', 'nosuch').replace(':id', '999').replace(':n', '0');
      const body = method === 'POST' ? JSON.stringify({ since: '1h', file: '/x', decision: 'approve', dry_run: true }) : undefined;
      const r = await request(web.port, method, url, web.page, body);
      expect(r.status, `${method} ${url}: ${r.body}`).toBe(404);
      expect(r.json<{ error: string }>().error).toMatch(pattern.includes(':name') ? /no rule named "nosuch"/ : /no job 999/);
    }
    const list = await request(web.port, 'GET', '/api/jobs?rule=nosuch', web.bearer);
    expect(list.status).toBe(404);
    expect(list.json<{ error: string }>().error).toContain('no rule named "nosuch"; rules: docs');
    expect((await request(web.port, 'GET', '/api/jobs?rule=docs', web.bearer)).status).toBe(200);
  });

  it('POST /api/rules/NAME/revert: a bare number is a 400, and a preview says its window', async () => {
    const bare = await request(web.port, 'POST', '/api/rules/docs/revert', web.page, JSON.stringify({ since: '1', dry_run: true }));
    expect(bare.status).toBe(400);
    expect(bare.json<{ error: string }>().error).toContain('"1" what? try 1m, 1h or 1d');
    for (const since of ['1h30m', 'last week', 'monday', '90m']) {
      const r = await request(web.port, 'POST', '/api/rules/docs/revert', web.page, JSON.stringify({ since, dry_run: true }));
      expect(r.status, `${since}: ${r.body}`).toBe(200);
      const w = r.json<{ window: { since: string; until: string; text: string } }>().window;
      expect(w.text).toMatch(/^from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(local time, UTC[+-]\d\d:\d\d\)$/);
      // The exact times come back as they are: what the preview covered is what is reverted.
      const again = await request(web.port, 'POST', '/api/rules/docs/revert', web.page, JSON.stringify({ since: w.since, until: w.until, dry_run: true }));
      expect(again.json<{ window: unknown }>().window).toEqual(w);
    }
  });
});
