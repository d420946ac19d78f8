import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/queue/store.js';
import { toRule, type Rule } from '../../src/rules/rule.js';
import { ruleSchema } from '../../src/rules/schema.js';
import { sha256Text } from '../../src/watch/fingerprint.js';
import { decide, type Drop } from '../../src/watch/decide.js';

/**
 * Rules that change content (the agent) cannot be caught by "same content": two of them whose
 * outputs feed each other would make new content forever. The lineage ends such chains: content
 * that came out of a rule, directly or by way of others, is never that rule's input. Real
 * files, a real SQLite store; the jobs' publishing is what the worker records before publishing.
 */

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-lineage-'));
  store = new Store(path.join(dir, 'dropwork.db'));
});

afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function rule(yaml: Record<string, unknown>): Rule {
  return toRule(ruleSchema.parse(yaml), dir, { file: 'test.yaml', line: 1 });
}

function drop(folder: string, name: string, content: string): Drop {
  fs.mkdirSync(path.join(dir, folder), { recursive: true });
  const file = path.join(dir, folder, name);
  fs.writeFileSync(file, content);
  const st = fs.statSync(file);
  return { path: file, size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs };
}

/** Queues what decide() asked for and runs the job as far as "about to publish `output`". */
function runAndProduce(r: Rule, file: Drop, output: string, decisions: Awaited<ReturnType<typeof decide>>): number {
  const d = decisions.find((x) => x.rule.name === r.name);
  expect(d?.job?.status ?? 'queued').toBe('queued');
  const job = store.enqueue(d!.job!)!;
  store.drops.put({ rule: r.name, path: file.path, size: file.size, mtime_ms: file.mtimeMs, rule_def: r.definition, job_id: job.id });
  store.drops.produce(r.name, job.id, job.sha256, [sha256Text(output)]);
  expect(store.move(job.id, 'running')?.status).toBe('running');
  expect(store.move(job.id, 'succeeded', { outputs: JSON.stringify([]) })?.status).toBe('succeeded');
  return job.id;
}

describe('a chain of rules that change content ends', () => {
  it('A → B → A: the content B made from A\'s result is not A\'s input', async () => {
    const a = rule({ name: 'a', watch: 'ping', output: 'pong', do: 'add a line' });
    const b = rule({ name: 'b', watch: 'pong', output: 'ping', do: 'add another line' });
    const rules = [a, b];

    const f0 = drop('ping', 'x.txt', 'v0');
    runAndProduce(a, f0, 'v0 + a', await decide(store, rules, f0));
    const f1 = drop('pong', 'x.txt', 'v0 + a');
    const jobB = runAndProduce(b, f1, 'v0 + a + b', await decide(store, rules, f1));
    const f2 = drop('ping', 'x (1).txt', 'v0 + a + b');
    const back = await decide(store, rules, f2);
    expect(back).toHaveLength(1);
    expect(back[0]?.job).toMatchObject({ rule: 'a', status: 'skipped', payload: expect.objectContaining({ own_result: true }) });
    expect(back[0]?.job?.reason).toMatch(new RegExp(`^it came out of this rule by way of rule "b" \\(job ${jobB}\\); a rule never takes its own results again`));
  });

  it('a rule watching its own outputs never takes what it made, but takes new content dropped there', async () => {
    const a = rule({ name: 'a', watch: 'same', output: 'same', do: 'summarise' });
    const f0 = drop('same', 'report.pdf', 'report');
    const job = runAndProduce(a, f0, 'summary', await decide(store, [a], f0));
    // Published where the job said: silent (no row at all).
    const out = drop('same', 'summary.txt', 'summary');
    store.db.prepare('UPDATE jobs SET outputs = ? WHERE id = ?').run(JSON.stringify([out.path]), job);
    expect(await decide(store, [a], out)).toEqual([expect.objectContaining({ keep: null })]);
    expect((await decide(store, [a], out))[0]?.job).toBeUndefined();
    // A copy of it somewhere else in the folder: a row saying why it is not taken.
    const copy = drop('same', 'summary copy.txt', 'summary');
    expect((await decide(store, [a], copy))[0]?.job).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^it came out of this rule \(job \d+\)/) });
    const fresh = drop('same', 'new.pdf', 'something new');
    const taken = (await decide(store, [a], fresh))[0]?.job;
    expect(taken).toMatchObject({ rule: 'a', dedupe: true });
    expect(taken?.status).toBeUndefined();
  });
});
