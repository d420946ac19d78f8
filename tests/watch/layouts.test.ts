import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRow } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import { cli, exitOf, makeHome, spawnDaemon, type TestHome } from '../support/home.js';

/**
 * Watch/output layouts, each run by the real daemon until it is quiet. Whatever the nesting, a
 * rule never takes its own results again and every chain ends: the number of jobs is bounded,
 * and each layout does the work it was made for (a rule watching outputs does fire).
 */

interface Layout {
  name: string;
  rules: Record<string, string>;
  /** Folders (under the home) to drop the two test files into. */
  dropInto: string;
  /** Jobs that must have succeeded, by rule. */
  succeeded: Record<string, number>;
  /** At most this many rows in all (jobs and skipped rows). */
  maxRows: number;
}

const LAYOUTS: Layout[] = [
  {
    name: 'outputs folder inside the inbox',
    rules: { 'a.yaml': 'name: a\nwatch: inbox/a\noutput: inbox/a/done\nactions: [{copy: "."}]\n' },
    dropInto: 'inbox/a', succeeded: { a: 2 }, maxRows: 2,
  },
  {
    name: 'outputs folder inside a recursive inbox, nested deep, with dated subfolders',
    rules: { 'a.yaml': 'name: a\nwatch: inbox/r\nrecursive: true\noutput: inbox/r/x/y/out\nactions: [{copy: "{modified:YYYY}/{modified:MM}"}]\n' },
    dropInto: 'inbox/r', succeeded: { a: 2 }, maxRows: 2,
  },
  {
    name: 'inbox inside the outputs folder',
    rules: { 'a.yaml': 'name: a\nwatch: outputs/a/in\noutput: outputs/a\nactions: [{copy: "."}]\n' },
    dropInto: 'outputs/a/in', succeeded: { a: 2 }, maxRows: 2,
  },
  {
    name: 'rename in place (watch and output the same folder)',
    rules: { 'a.yaml': 'name: a\nwatch: inbox/same\noutput: inbox/same\nactions: [{rename: "done {name}{ext}"}]\nafter: trash\n' },
    dropInto: 'inbox/same', succeeded: { a: 2 }, maxRows: 2,
  },
  {
    name: 'copy and move steps into the inbox itself',
    rules: { 'a.yaml': 'name: a\nwatch: inbox/cm\noutput: inbox/cm\nactions: [{copy: "."}, {move: "."}]\n' },
    dropInto: 'inbox/cm', succeeded: { a: 2 }, maxRows: 2,
  },
  {
    name: 'two rules in a cycle (each one\'s outputs are the other\'s inbox)',
    rules: {
      'a.yaml': 'name: a\nwatch: inbox/ping\noutput: inbox/pong\nactions: [{rename: "a {name}{ext}"}]\n',
      'b.yaml': 'name: b\nwatch: inbox/pong\noutput: inbox/ping\nactions: [{rename: "b {name}{ext}"}]\n',
    },
    // a takes each file, b takes a's result (chaining works), a does not take b's result back.
    dropInto: 'inbox/ping', succeeded: { a: 2, b: 2 }, maxRows: 6,
  },
  {
    name: 'three rules in a cycle, recursive',
    rules: {
      'a.yaml': 'name: a\nwatch: inbox/c1\nrecursive: true\noutput: inbox/c2/from-a\nactions: [{copy: "."}]\n',
      'b.yaml': 'name: b\nwatch: inbox/c2\nrecursive: true\noutput: inbox/c3/from-b\nactions: [{copy: "."}]\n',
      'c.yaml': 'name: c\nwatch: inbox/c3\nrecursive: true\noutput: inbox/c1/from-c\nactions: [{copy: "."}]\n',
    },
    dropInto: 'inbox/c1', succeeded: { a: 2, b: 2, c: 2 }, maxRows: 8,
  },
  {
    name: 'after: move into the rule\'s own inbox',
    rules: { 'a.yaml': 'name: a\nwatch: inbox/m\noutput: outputs/m\nactions: [{copy: "."}]\nafter: {move: inbox/m}\n' },
    dropInto: 'inbox/m', succeeded: { a: 2 }, maxRows: 4,
  },
  {
    name: 'after: move ping-pong between two rules\' inboxes',
    rules: {
      'a.yaml': 'name: a\nwatch: inbox/p1\noutput: outputs/p\nactions: [{copy: "a"}]\nafter: {move: inbox/p2}\n',
      'b.yaml': 'name: b\nwatch: inbox/p2\noutput: outputs/p\nactions: [{copy: "b"}]\nafter: {move: inbox/p1}\n',
    },
    dropInto: 'inbox/p1', succeeded: { a: 2, b: 2 }, maxRows: 6,
  },
  {
    name: 'a rule that watches another rule\'s outputs folder (chaining)',
    rules: {
      'a.yaml': 'name: a\nwatch: inbox/first\noutput: outputs/first\nactions: [{rename: "{rule}-{name}{ext}"}]\n',
      'b.yaml': 'name: b\nwatch: outputs/first\noutput: outputs/second\nactions: [{copy: "."}]\n',
    },
    dropInto: 'inbox/first', succeeded: { a: 2, b: 2 }, maxRows: 4,
  },
];

let home: TestHome;
let all: JobRow[] = [];
let statusModes: string[] = [];
let checkOutput = '';

/**
 * All layouts side by side under one home and one daemon (their folders never overlap; rule
 * names get the layout's number): one start, one quiet wait, then each layout is judged alone.
 */
beforeAll(async () => {
  home = makeHome({ config: 'settle_ms: 150\nretry_base_ms: 50\nretry_max_ms: 200\nrescan_minutes: 0.05\n' });
  LAYOUTS.forEach((layout, i) => {
    for (const [file, yaml] of Object.entries(layout.rules)) home.writeRule(`${i}-${file}`, renamed(yaml, i));
  });
  checkOutput = (await cli(home, ['rules', 'check'])).stdout;
  const daemon = await spawnDaemon(home);
  try {
    statusModes = (JSON.parse((await cli(home, ['status', '--json'])).stdout) as { inboxes: { mode: string }[] }).inboxes.map((x) => x.mode);
    for (const layout of LAYOUTS) {
      const into = path.join(home.paths.home, layout.dropInto);
      fs.writeFileSync(path.join(into, 'one.txt'), `first file for ${layout.name}`);
      fs.writeFileSync(path.join(into, 'two.txt'), `second file for ${layout.name}`);
    }
    // rescan_minutes 0.05: several periodic rescans pass inside the quiet window.
    await untilQuiet(home, 5000, 120_000);
  } finally {
    daemon.kill('SIGTERM');
    await exitOf(daemon);
  }
  all = rows(home);
}, 180_000);

afterAll(() => home.cleanup());

/** Rule names made unique per layout: "a" of layout 3 is "3a". */
function renamed(yaml: string, i: number): string {
  return yaml.replace(/^name: (\w+)$/m, `name: ${i}$1`);
}

function rows(h: TestHome): JobRow[] {
  const store = new Store(h.paths.dbFile);
  try {
    return store.list({ limit: 10_000 });
  } finally {
    store.close();
  }
}

/** Files in the inboxes and outputs (not jobs/ or logs/, which come and go as jobs run). */
function fileCount(dir: string): number {
  let n = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // removed while we looked
    }
    for (const e of entries) {
      if (e.isDirectory() && !(d === dir && ['jobs', 'logs', 'rules'].includes(e.name))) walk(path.join(d, e.name));
      else if (e.isFile()) n++;
    }
  };
  walk(dir);
  return n;
}

/** Quiet: the rows and the files under the home have not changed for `quietMs`. */
async function untilQuiet(h: TestHome, quietMs: number, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  let last = '';
  let since = Date.now();
  while (Date.now() < until) {
    const now = JSON.stringify([rows(h).map((r) => [r.id, r.status]), fileCount(h.paths.home)]);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs && !rows(h).some((r) => r.status === 'queued' || r.status === 'running')) {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`never became quiet: ${rows(h).length} rows`);
}

describe('no layout of inboxes and outputs loops', () => {
  it('every layout passes rules check and is watched by events', () => {
    expect(checkOutput).toMatch(/all valid/);
    expect(statusModes.length).toBeGreaterThanOrEqual(LAYOUTS.length);
    expect(statusModes.every((m) => m === 'events')).toBe(true);
  });

  LAYOUTS.forEach((layout, i) => {
    it(layout.name, () => {
      const mine = all.filter((r) => r.rule.startsWith(String(i)) && /^\d+[a-z]$/.test(r.rule) && r.rule.slice(0, -1) === String(i));
      const done: Record<string, number> = {};
      for (const r of mine) if (r.status === 'succeeded') done[r.rule.slice(-1)] = (done[r.rule.slice(-1)] ?? 0) + 1;
      expect(done).toEqual(layout.succeeded);
      expect(mine.length).toBeLessThanOrEqual(layout.maxRows);
      expect(mine.filter((r) => r.status === 'failed')).toEqual([]);
    });
  });
});
