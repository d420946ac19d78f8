/**
 * Failures, waits and the notify settings, through a real daemon, node-notifier, notify-send
 * and dunst. The jobs are `do:` rules run by a stand-in agent (the real one is issue 3's): it
 * plugs in where the agent does (setAgentRunner) and fails the files named "broken-*".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { UnrecoverableError } from '../../src/errors.js';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import { setAgentRunner } from '../../src/run/runners.js';
import { startDesktopSession, type DesktopSession } from './desktop-session.js';
import { dropFiles, makeHome, startDaemon, waitUntil, type TestHome } from './home.js';

let desktop: DesktopSession;
let home: TestHome;
let daemon: Daemon | undefined;
let notifier: Notifier | undefined;

beforeAll(async () => {
  desktop = await startDesktopSession();
  Object.assign(process.env, desktop.env);
  setAgentRunner(async (ctx) => {
    const name = path.basename(ctx.job.file ?? 'scheduled');
    if (name.startsWith('broken-same')) {
      await new Promise((r) => setTimeout(r, 250));
      throw new UnrecoverableError('the model refused: the page is blank. Nothing to extract.');
    }
    if (name.startsWith('broken')) throw new UnrecoverableError(`could not read ${name}: it is not a PDF`);
    const out = path.join(ctx.workdir, `${name}.md`);
    fs.writeFileSync(out, `summary of ${name}\n`);
    return { staged: [{ source: out, dest: path.join(ctx.rule.output, `${name}.md`), onConflict: 'rename' }] };
  });
});
afterAll(async () => {
  setAgentRunner(undefined);
  await desktop.close();
});
afterEach(async () => {
  await notifier?.stop();
  await daemon?.stop();
  daemon = undefined;
  home.remove();
});

function rule(extra = ''): string {
  return `name: notes\nwatch: inbox/notes\noutput: outputs/notes\ndo: summarise it\n${extra}`;
}

/** A daemon with the notifier on a 1 s window, so each case takes a second, not three. */
async function run(ruleYaml: string, files: string[], opts: { configYaml?: string } = {}): Promise<Daemon> {
  home = makeHome();
  home.rule('notes', ruleYaml);
  if (opts.configYaml) fs.writeFileSync(home.paths.configFile, opts.configYaml);
  const inbox = home.folder('inbox/notes');
  daemon = await startDaemon(home);
  notifier = createNotifier(daemon, undefined, { windowMs: 1000 });
  notifier.start();
  dropFiles(inbox, files.length, (i) => files[i] as string);
  const d = daemon;
  await waitUntil(() => { const c = d.store.counts(); return c.succeeded + c.failed + c.waiting === files.length; }, 'every job ended');
  return daemon;
}

const okFiles = (n: number): string[] => Array.from({ length: n }, (_, i) => `ok-${i}.txt`);

describe('what the person is told', () => {
  it('gives one notice per distinct failure, critical, with the reason and what to do', async () => {
    const before = desktop.calls().length;
    await run(rule(), [...okFiles(7), 'broken-a.txt', 'broken-b.txt', 'broken-c.txt']);
    const calls = (await desktop.settle(before + 4, 1500)).slice(before);
    expect(calls).toHaveLength(4);
    expect(calls.filter((c) => c.summary === 'notes: 7 files processed')).toHaveLength(1);
    const failures = calls.filter((c) => c.summary.endsWith('failed'));
    expect(failures.map((c) => c.summary).sort()).toEqual(['notes: broken-a.txt failed', 'notes: broken-b.txt failed', 'notes: broken-c.txt failed']);
    for (const f of failures) {
      expect(f.urgency).toBe(2);
      expect(f.body).toMatch(/^could not read broken-.\.txt: it is not a PDF\nSee what happened: dropwork jobs show \d+$/);
    }
  });

  it('tells a reason once as soon as it is seen, and the jobs that failed the same way after it in one more notice', async () => {
    const before = desktop.calls().length;
    // 20 jobs of 250 ms, two at a time: 2.5 s of failures, well past the 1 s window.
    await run(rule(), Array.from({ length: 20 }, (_, i) => `broken-same-${String(i).padStart(2, '0')}.txt`));
    const calls = (await desktop.settle(before + 2, 2500)).slice(before);
    expect(calls).toHaveLength(2);
    const [first, more] = calls;
    const firstCount = first?.summary.match(/^notes: (\d+) files failed$/)?.[1] ?? (/^notes: broken-same-\d+\.txt failed$/.test(first?.summary ?? '') ? '1' : '0');
    const moreCount = more?.summary.match(/^notes: (\d+) more jobs? failed the same way$/)?.[1] ?? '0';
    expect(Number(firstCount)).toBeGreaterThan(0);
    expect(Number(firstCount) + Number(moreCount)).toBe(20);
    expect(first?.body).toContain('the model refused: the page is blank\nSee what happened: dropwork jobs show');
    expect(more?.body).toMatch(/^broken-same-\d+\.txt, broken-same-\d+\.txt, broken-same-\d+\.txt and \d+ more\nthe model refused: the page is blank\n/);
  });

  it('says when jobs wait for approval, once for the burst', async () => {
    const before = desktop.calls().length;
    await run(rule('approve: always\n'), okFiles(3));
    const calls = (await desktop.settle(before + 1, 1500)).slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.summary).toBe('notes: 3 jobs wait for your approval');
    expect(calls[0]?.body).toMatch(/Look at the results and approve or deny: dropwork jobs show \d+/);
  });

  it('with notify: failures, tells only the failures', async () => {
    const before = desktop.calls().length;
    await run(rule('notify: failures\n'), [...okFiles(3), 'broken-x.txt']);
    const calls = (await desktop.settle(before + 1, 1500)).slice(before);
    expect(calls.map((c) => c.summary)).toEqual(['notes: broken-x.txt failed']);
  });

  it('with notify: never on the rule, notify: false in config.yaml or DROPWORK_NOTIFY=off, says nothing', async () => {
    const before = desktop.calls().length;
    const again = async (): Promise<void> => {
      await notifier?.stop();
      await daemon?.stop();
      home.remove();
    };
    await run(rule('notify: never\n'), [...okFiles(2), 'broken-y.txt']);
    await again();
    await run(rule(), [...okFiles(2), 'broken-z.txt'], { configYaml: 'notify: false\n' });
    expect(notifier?.status()).toEqual({ on: false });
    await again();
    process.env.DROPWORK_NOTIFY = 'off';
    try {
      await run(rule(), [...okFiles(2), 'broken-w.txt']);
      expect(notifier?.status()).toEqual({ on: false });
    } finally {
      delete process.env.DROPWORK_NOTIFY;
    }
    // Well past the window: anything that was going to be sent has been.
    expect(await desktop.settle(before, 1500)).toHaveLength(before);
    // And the same daemon, with notifications on, does tell: the silence above is the settings'.
    await again();
    await run(rule(), ['broken-v.txt']);
    expect((await desktop.settle(before + 1, 1000)).slice(before).map((c) => c.summary)).toEqual(['notes: broken-v.txt failed']);
  });
});
