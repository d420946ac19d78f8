import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaults, type Config } from '../../src/config.js';
import { TransientError, UnrecoverableError } from '../../src/errors.js';
import { Events } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import { resolvePaths } from '../../src/paths.js';
import { Store } from '../../src/queue/store.js';
import { Worker } from '../../src/queue/worker.js';
import type { JobContext } from '../../src/run/context.js';
import type { Outcome } from '../../src/run/execute.js';
import { loadRuleText } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/rule.js';
import { waitFor } from '../support/home.js';

let dir: string;
let store: Store;
let worker: Worker | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-worker-'));
  store = new Store(path.join(dir, 'db'));
});
afterEach(async () => {
  await worker?.stop(0);
  worker = undefined;
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function rules(yaml: string): Map<string, Rule> {
  return new Map(loadRuleText(yaml, 'r.yaml', dir).rules.map((r) => [r.name, r]));
}

function start(ruleMap: Map<string, Rule>, execute: (ctx: JobContext) => Promise<Outcome>, config: Partial<Config> = {}): Worker {
  const events = new Events();
  worker = new Worker({
    store, events, log: silentLogger, execute, pollMs: 20,
    config: () => ({ ...defaults, retry_base_ms: 20, retry_max_ms: 50, ...config }),
    rules: () => ruleMap,
    paths: resolvePaths({ DROPWORK_HOME: dir }),
  });
  worker.start();
  return worker;
}

// Files in the rules' inbox (`watch: in`): a worker runs only a file in its own inboxes or one that travelled with its job.
const add = (rule: string, n: number) => store.enqueueMany(Array.from({ length: n }, (_, i) => ({ rule, file: path.join(dir, 'in', `${rule}${i}`), sha256: `${rule}${i}`, trigger: 'watch' as const, dedupe: true })));
const done = () => ['succeeded', 'failed', 'skipped'].reduce((n, s) => n + store.list({ status: s as 'failed', limit: 10_000 }).length, 0);

describe('the worker', () => {
  it('retries temporary trouble with backoff, then succeeds', async () => {
    add('a', 1);
    let calls = 0;
    start(rules('name: a\nwatch: in\nactions: [{copy: x}]\n'), async () => {
      calls++;
      if (calls < 3) throw new TransientError('the file is locked');
      return { status: 'succeeded', outputs: ['/out/x'] };
    });
    await waitFor(() => done() === 1);
    const job = store.list()[0]!;
    expect(job).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(store.logs(job.id).filter((l) => l.kind === 'retry').map((l) => l.message)[0]).toMatch(/the file is locked; trying again in/);
  });

  it('gives up on temporary trouble after max_attempts, saying so', async () => {
    add('a', 1);
    start(rules('name: a\nwatch: in\nactions: [{copy: x}]\n'), () => Promise.reject(new TransientError('disk busy')), { max_attempts: 2 });
    await waitFor(() => done() === 1);
    expect(store.list()[0]).toMatchObject({ status: 'failed', attempts: 2, reason: 'gave up after 2 attempts: disk busy' });
  });

  it('fails a permanent error at once', async () => {
    add('a', 1);
    start(rules('name: a\nwatch: in\nactions: [{copy: x}]\n'), () => Promise.reject(new UnrecoverableError('the rule is broken')));
    await waitFor(() => done() === 1);
    expect(store.list()[0]).toMatchObject({ status: 'failed', attempts: 1, reason: 'the rule is broken' });
  });

  it('keeps to the global and per-rule limits', async () => {
    add('one', 6);
    add('two', 6);
    let now = 0;
    const peak = { all: 0, one: 0 };
    const running = { one: 0 };
    start(rules('- name: one\n  watch: in\n  actions: [{copy: x}]\n- name: two\n  watch: in\n  concurrency: 3\n  actions: [{copy: x}]\n'), async (ctx) => {
      now++;
      if (ctx.rule.name === 'one') running.one++;
      peak.all = Math.max(peak.all, now);
      peak.one = Math.max(peak.one, running.one);
      await new Promise((r) => setTimeout(r, 30));
      now--;
      if (ctx.rule.name === 'one') running.one--;
      return { status: 'succeeded', outputs: [] };
    }, { concurrency: 3 });
    await waitFor(() => done() === 12);
    expect(peak).toEqual({ all: 3, one: 1 });
  });

  it('stops a running job that is cancelled, which then publishes nothing', async () => {
    const [job] = add('a', 1);
    let aborted = false;
    start(rules('name: a\nwatch: in\nactions: [{copy: x}]\n'), (ctx) => new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => { aborted = true; reject(new Error('aborted')); });
    }));
    await waitFor(() => store.get(job!.id)?.status === 'running');
    store.move(job!.id, 'cancelled', { reason: 'cancelled by hand' });
    await waitFor(() => aborted, 5000, 'the abort');
    expect(store.get(job!.id)).toMatchObject({ status: 'cancelled', reason: 'cancelled by hand' });
  });

  it('on stop, lets running jobs finish within the grace period and re-queues the rest', async () => {
    const [quick, slow] = add('a', 2);
    start(rules('name: a\nwatch: in\nconcurrency: 2\nactions: [{copy: x}]\n'), (ctx) => new Promise((resolve, reject) => {
      if (ctx.job.id === quick!.id) setTimeout(() => resolve({ status: 'succeeded', outputs: [] }), 50);
      ctx.signal.addEventListener('abort', () => reject(new Error('stopping')));
    }));
    await waitFor(() => store.get(slow!.id)?.status === 'running' && store.get(quick!.id)?.status === 'running');
    await worker!.stop(300);
    worker = undefined;
    expect(store.get(quick!.id)?.status).toBe('succeeded');
    expect(store.get(slow!.id)?.status).toBe('queued');
  });

  it('fails a job whose rule is gone', async () => {
    add('gone', 1);
    start(new Map(), () => Promise.resolve({ status: 'succeeded', outputs: [] }));
    await waitFor(() => done() === 1);
    expect(store.list()[0]?.reason).toBe('the rule "gone" no longer exists');
  });
});
