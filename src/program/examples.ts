/**
 * An agent job kept as an example to learn from and replay on: when a job of a compiling rule
 * succeeds, its input and what it published are copied under the data folder
 * (examples/<rule>/<job>/): input/NAME, after/REL for every output, and before/REL for a file
 * it replaced or appended to (from the undo journal: an appended ledger's earlier bytes are its
 * own first bytes, a replaced file's earlier version is an undo blob). Copies, because the
 * original may be moved by `after:` and the ledger grows with every later job.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openFileUnder, type OpenedFile } from '../nofollow-files.js';
import { copyTree } from '../agent/workspace/copy.js';
import type { Paths } from '../paths.js';
import type { JobRow } from '../queue/status.js';
import type { Rule } from '../rules/rule.js';
import { blobsFor } from '../undo/revert.js';
import { factsOf, sha256Prefix } from '../publish/content.js';
import type { Change } from '../undo/journal.js';

export interface ExampleOutput {
  /** Relative to the rule's outputs folder. */
  path: string;
  kind: 'created' | 'replaced' | 'appended';
}

export interface Example {
  job: number;
  dir: string;
  /** The input file's name (input/NAME in a workspace). */
  input: string;
  outputs: ExampleOutput[];
  /**
   * The outputs folder's other files when the job was kept (seen/REL), as the job's run saw it
   * in output/: replay puts them back, so output/ has its real shape there too. Absent in
   * examples kept before it was recorded.
   */
  seen?: string[];
}

/**
 * What of the outputs folder an example keeps for replay: the smallest files first, as a live
 * run copies them (agent/workspace/copy.ts), up to these bounds. A live run copies up to 256 MiB;
 * an example keeps 32 MiB (clones where the file system has them): an outputs folder of large
 * files replays without its largest ones.
 */
const SEEN_LIMITS = { maxBytes: 32 * 1024 * 1024, maxFiles: 5000 };
export const seenOf = (e: Example, rel: string): string => path.join(e.dir, 'seen', rel);

export function examplesDir(paths: Paths, rule: string): string {
  return path.join(paths.dataDir, 'examples', encodeURIComponent(rule));
}

export const inputOf = (e: Example): string => path.join(e.dir, 'input', e.input);
export const afterOf = (e: Example, rel: string): string => path.join(e.dir, 'after', rel);
export const beforeOf = (e: Example, rel: string): string => path.join(e.dir, 'before', rel);

function copyPrefix(from: string, to: string, length: number): void {
  const fd = fs.openSync(from, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, 0);
    fs.writeFileSync(to, buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens a file the job read or published: the input in its inbox (or where after: moved it),
 * an output in the outputs folder, both places others may write. Never through a link.
 */
function openShared(file: string, rule: Rule): OpenedFile {
  const roots = [rule.output, ...(rule.watch ?? []), ...(rule.after?.kind === 'move' ? [rule.after.folder] : [])];
  const opened = openFileUnder(file, roots);
  if (!opened) throw new Error(`${file} is gone`);
  return opened;
}

/**
 * Keeps the job as an example; returns its folder, or why it cannot be one (the input or an
 * output already changed since, an output outside the outputs folder). Call right after success.
 */
export function keepExample(paths: Paths, rule: Rule, job: JobRow, changes: readonly Change[], into = examplesDir(paths, rule.name)): { dir: string } | { why: string } {
  if (!job.file || !job.sha256) return { why: 'the job had no input file' };
  const moved = changes.find((c): c is Extract<Change, { kind: 'original' }> => c.kind === 'original');
  const source = moved ? moved.movedTo : job.file;
  // `into`: `dropwork eval` copies a job it has no example of into its scratch folder instead.
  const dir = path.join(into, String(job.id));
  const temp = `${dir}.partial`;
  fs.rmSync(temp, { recursive: true, force: true });
  try {
    const name = path.basename(job.file);
    fs.mkdirSync(path.join(temp, 'input'), { recursive: true });
    const input = path.join(temp, 'input', name);
    const original = openShared(source, rule);
    try { fs.copyFileSync(original.path, input); } finally { original.close(); }
    if (factsOf(input).sha256 !== job.sha256) return { why: 'the input changed after the job' };
    const outputs: ExampleOutput[] = [];
    for (const c of changes) {
      if (c.kind === 'original') continue;
      const rel = path.relative(rule.output, c.path);
      if (rel.startsWith('..') || path.isAbsolute(rel)) return { why: `it wrote ${c.path}, outside the outputs folder` };
      const after = path.join(temp, 'after', rel);
      fs.mkdirSync(path.dirname(after), { recursive: true });
      // Later jobs may have appended more (a ledger): the job's result is the file's first c.size bytes.
      const published = openShared(c.path, rule);
      try {
        if (sha256Prefix(published.path, c.size) !== c.sha256) return { why: `${rel} changed after the job` };
        copyPrefix(published.path, after, c.size);
      } finally {
        published.close();
      }
      if (c.kind !== 'created') {
        const before = path.join(temp, 'before', rel);
        fs.mkdirSync(path.dirname(before), { recursive: true });
        if (c.kind === 'appended') copyPrefix(after, before, c.prevSize);
        else fs.copyFileSync(blobsFor(paths).pathOf(c.prevSha256), before);
      }
      outputs.push({ path: rel, kind: c.kind });
    }
    if (outputs.length === 0) return { why: 'the job published nothing' };
    // The rest of the outputs folder, as the live run saw it (its own outputs are in before/, or
    // were not there yet): a program must not tell replay from a live run by an empty output/.
    const own = new Set(outputs.map((o) => o.path));
    const seen = [...copyTree(rule.output, path.join(temp, 'seen'), SEEN_LIMITS, (rel) => own.has(rel)).copied.keys()].sort();
    const example: Omit<Example, 'dir'> = { job: job.id, input: name, outputs, seen };
    fs.writeFileSync(path.join(temp, 'example.json'), `${JSON.stringify(example, null, 2)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(temp, dir);
    return { dir };
  } catch (err) {
    return { why: `it could not be copied (${String(err)})` };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

export function loadExample(dir: string): Example {
  const e = JSON.parse(fs.readFileSync(path.join(dir, 'example.json'), 'utf8')) as Omit<Example, 'dir'>;
  return { ...e, dir };
}
