/**
 * What `dropwork eval` re-runs: a rule's last N succeeded file jobs, each as an example
 * (src/program/examples.ts): its input, the outputs folder's files it appended to or replaced
 * as they were before it, and what it published. A compiling rule has them kept already; for
 * any other job they are copied now, from its input and the undo journal, into the eval's
 * scratch folder (nothing is added to the rule's kept examples).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Paths } from '../paths.js';
import { afterOf, beforeOf, inputOf, keepExample, loadExample, type Example } from '../program/examples.js';
import { exampleDirs } from '../program/store.js';
import type { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';
import { changesOf } from '../undo/journal.js';

/** One file to run: its input, the outputs before it, and (when it came from a job) what was published. */
export interface EvalCase {
  /** The job it came from; 0 for a file given directly (`npm run eval`). */
  job: number;
  input: string;
  /** Outputs-folder files as they were before the job, by path relative to the folder. */
  before: Map<string, Buffer>;
  /** What the job published, by the same paths; empty when there is nothing to compare with. */
  published: Map<string, Buffer>;
}

export function caseOf(e: Example): EvalCase {
  const before = new Map<string, Buffer>();
  const published = new Map<string, Buffer>();
  for (const o of e.outputs) {
    published.set(o.path, fs.readFileSync(afterOf(e, o.path)));
    if (o.kind !== 'created') before.set(o.path, fs.readFileSync(beforeOf(e, o.path)));
  }
  return { job: e.job, input: inputOf(e), before, published };
}

export interface Found {
  cases: EvalCase[];
  /** Jobs that could not be used, with why (an output changed since, its input is gone). */
  passed: string[];
}

export function casesOf(store: Store, paths: Paths, rule: Rule, last: number, scratch: string): Found {
  const jobs = store.list({ rule: rule.name, status: 'succeeded', limit: Math.max(50, last * 4) })
    .filter((j) => j.file !== null && j.trigger !== 'compile')
    .slice(0, last);
  const cases: EvalCase[] = [];
  const passed: string[] = [];
  for (const job of jobs.reverse()) {
    const kept = exampleDirs(store.db, [job.id])[0];
    if (kept && fs.existsSync(kept)) {
      cases.push(caseOf(loadExample(kept)));
      continue;
    }
    const copied = keepExample(paths, rule, job, changesOf(store.db, job.id), path.join(scratch, 'examples'));
    if ('why' in copied) passed.push(`job ${job.id} (${path.basename(job.file ?? '')}): ${copied.why}`);
    else cases.push(caseOf(loadExample(copied.dir)));
  }
  return { cases, passed };
}

/** Files of a folder as cases without a published result (scored against expected JSON instead). */
export function casesFromFolder(dir: string, pattern = /\.(pdf|png|jpe?g|txt|heic)$/i): EvalCase[] {
  return fs.readdirSync(dir).filter((n) => pattern.test(n)).sort()
    .map((n) => ({ job: 0, input: path.join(dir, n), before: new Map(), published: new Map() }));
}
