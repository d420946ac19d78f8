/**
 * The original a job worked on, checked before publishing and before `after:` touches it: a
 * changed original publishes nothing, stays where it is, and its new content gets a job; a
 * touched one (same bytes, new mtime) is still the job's; a file outside the rule's inboxes is
 * never moved or trashed. Real files, a real SQLite store and the real Worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SkipJob } from '../../src/errors.js';
import { finishPublishing } from '../../src/run/execute.js';
import { Harness, makeHome, writeConfig, writeRule, type Home } from '../agent/helpers.js';
import { sha256File } from '../../src/watch/fingerprint.js';

let home: Home;
let h: Harness | undefined;
beforeEach(() => {
  home = makeHome();
  delete process.env.XDG_DATA_HOME;
  writeConfig(home, { notify: false, sandbox: 'none' });
  writeRule(home, { name: 'tidy', watch: home.inbox('tidy'), output: home.outputs('tidy'), actions: [{ copy: '.' }], after: 'trash' });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  fs.rmSync(home.dir, { recursive: true, force: true });
});

const trashed = (name: string): string => path.join(process.env.HOME as string, '.local', 'share', 'Trash', 'files', name);

async function queued(harness: Harness, file: string, content: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  const st = fs.statSync(file);
  const row = harness.store.enqueue({ rule: 'tidy', file, sha256: await sha256File(file), trigger: 'watch', dedupe: true, payload: { size: st.size, mtimeMs: st.mtimeMs } });
  if (!row) throw new Error('not queued');
  return row;
}

function staged(content: string) {
  const source = path.join(home.dir, `staged-${Math.random()}`);
  fs.writeFileSync(source, content);
  return [{ source, dest: path.join(home.outputs('tidy'), 'a.txt'), onConflict: 'rename' as const }];
}

describe('the original, before publishing and after:', () => {
  it('changed while the job ran (grown, or rewritten at the same size): nothing published, original kept, new content queued', async () => {
    h = new Harness(home, { concurrency: 0 });
    const rule = h.rules.rules.get('tidy');
    if (!rule) throw new Error('no rule');
    for (const [i, [before, after]] of ([['half', 'half and the rest'], ['abcd', 'wxyz']] as const).entries()) {
      const file = path.join(home.inbox('tidy'), `f${i}.txt`);
      const job = await queued(h, file, before);
      fs.writeFileSync(file, after);
      fs.utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a later mtime, whatever the clock's resolution
      const steps: string[] = [];
      const run = () => finishPublishing({ job, rule, workdir: path.join(home.dir, 'w'), store: h!.store, paths: home.paths, step: (k, m) => steps.push(`${k}: ${m}`) }, staged(before));
      expect(run).toThrow(SkipJob);
      const reason = (() => { try { run(); return ''; } catch (e) { return (e as Error).message; } })();
      expect(reason).toMatch(/^the file changed while it was processed, so nothing was published and the original was left where it is; its new content is job \d+$/);
      const next = h.store.get(Number(/job (\d+)$/.exec(reason)?.[1]));
      expect(next).toMatchObject({ rule: 'tidy', file, status: 'queued', sha256: await sha256File(file) });
      expect(fs.readFileSync(file, 'utf8')).toBe(after);
      expect(steps).toEqual([]);
    }
    expect(fs.existsSync(home.outputs('tidy'))).toBe(false);
  });

  it('touched but the same bytes: published, and after: applies', async () => {
    h = new Harness(home, { concurrency: 0 });
    const rule = h.rules.rules.get('tidy');
    if (!rule) throw new Error('no rule');
    const file = path.join(home.inbox('tidy'), 'same.txt');
    const job = await queued(h, file, 'same');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const steps: string[] = [];
    const out = finishPublishing({ job, rule, workdir: path.join(home.dir, 'w'), store: h.store, paths: home.paths, step: (k, m) => steps.push(`${k}: ${m}`) }, staged('same'));
    expect(out.status).toBe('succeeded');
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readFileSync(trashed('same.txt'), 'utf8')).toBe('same');
  });

  it('`after:` moves or trashes only files in one of the rule\'s inboxes (dropwork run FILE --rule R)', async () => {
    h = new Harness(home);
    writeRule(home, { name: 'mover', watch: home.inbox('mover'), output: home.outputs('mover'), actions: [{ copy: '.' }], after: { move: path.join(home.dir, 'done') } });
    h.rules.reload();
    for (const rule of ['tidy', 'mover']) {
      const outside = path.join(home.dir, 'Documents', `${rule}.txt`);
      fs.mkdirSync(path.dirname(outside), { recursive: true });
      fs.writeFileSync(outside, 'keep me');
      const st = fs.statSync(outside);
      const sha256 = await sha256File(outside);
      const row = h.store.enqueue({ rule, file: outside, sha256, trigger: 'manual', dedupe: false, payload: { size: st.size, mtimeMs: st.mtimeMs } });
      // As `dropwork run` queues a file outside the rule's inboxes: it travels with its job.
      h.store.keepFile(row!.id, path.basename(outside), fs.readFileSync(outside), sha256);
      h.worker.wake();
      const done = await h.settled(row!.id);
      expect(done.status).toBe('succeeded');
      expect(fs.readFileSync(outside, 'utf8')).toBe('keep me');
      expect(h.log(row!.id, 'after')[0]).toMatch(/^kept the original: after: (trash|move) applies only to files in the rule's inboxes/);
    }
    // Inside the inbox, the same rule does trash.
    const inside = await h.run('tidy', path.join(home.dir, 'Documents', 'tidy.txt'));
    expect(inside.status).toBe('succeeded');
    expect(fs.existsSync(path.join(home.inbox('tidy'), 'tidy.txt'))).toBe(false);
  });
});
