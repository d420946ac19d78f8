import fs from 'node:fs';
import path from 'node:path';
import { planActions, describeAction } from '../actions/index.js';
import { SkipJob, UnrecoverableError } from '../errors.js';
import { openOriginal } from '../nofollow-files.js';
import type { StagedOutput } from '../publish/publish.js';
import { copyKeepingHoles, copyKeepingHolesSync } from '../publish/sparse.js';
import { sha256File } from '../watch/fingerprint.js';
import { payloadOf, type JobContext, type RunResult } from './context.js';

/**
 * Deterministic rules: the original is copied once into the job's folder (so a file changed or
 * removed halfway cannot tear the job), checked against the content that was queued, and the
 * steps' outputs are staged from that copy.
 */
export async function runSteps(ctx: JobContext): Promise<RunResult> {
  const { job, rule } = ctx;
  if (!rule.actions) throw new UnrecoverableError(`rule "${rule.name}" has no actions`);
  if (!job.file) throw new UnrecoverableError('this job has no file to work on');
  const original = path.join(ctx.workdir, 'original');
  const facts = payloadOf(job);
  let before: fs.Stats;
  let after: fs.Stats;
  // The original sits in an inbox others may write: opened once, never through a link at any
  // step below its inbox, and copied from what was opened (openOriginal).
  const opened = openOriginal(job.file, rule.watch);
  try {
    before = opened.st;
    // A reflink where the file system has them: a 1 GB scan is then not copied at all; holes
    // of a sparse file stay holes.
    await copyKeepingHoles(opened.path, original, before);
    after = fs.fstatSync(opened.fd);
  } finally {
    opened.close();
  }
  // Same size and mtime as when it was queued means the same content (as the rescan assumes);
  // anything else is hashed again, so a job never works on content it was not queued for.
  // A stat after the copy too: a writer that went on while it was copied leaves a torn copy.
  const unchanged = before.size === facts.size && before.mtimeMs === facts.mtimeMs && after.size === before.size && after.mtimeMs === before.mtimeMs;
  if (job.sha256 && !unchanged && (await sha256File(original)) !== job.sha256) {
    throw new SkipJob('the file changed before its job ran; its new content gets a job of its own');
  }
  const st = before;
  const planned = planActions(rule.actions, path.basename(job.file), {
    output: rule.output,
    vars: {
      rule: rule.name,
      sha256: job.sha256 ?? '',
      modified: new Date(facts.mtimeMs ?? st.mtimeMs),
      created: new Date(facts.birthtimeMs ?? facts.mtimeMs ?? st.mtimeMs),
      now: new Date(),
    },
  });
  rule.actions.forEach((a) => ctx.step('step', describeAction(a)));
  // The copy itself is the last output's staged file, the others are links to it, all in the
  // job's folder: each folder or name fewer is a metadata write fewer per job, and on a loaded
  // disk those cost 0.5-1 ms each (a staging folder and its link were 4 of a copy job's 10).
  // What the outputs hold is known: the content the job was queued for, checked above.
  const content = job.sha256 ? { size: before.size, sha256: job.sha256 } : undefined;
  const staged: StagedOutput[] = planned.map((p, i) => {
    const source = i === planned.length - 1 ? original : path.join(ctx.workdir, `staged-${i}`);
    if (source !== original) linkOrCopy(original, source);
    ctx.step('staged', `will write ${p.dest}`);
    return content ? { source, dest: p.dest, onConflict: p.onConflict, facts: content } : { source, dest: p.dest, onConflict: p.onConflict };
  });
  return { staged };
}

function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    copyKeepingHolesSync(from, to);
  }
}
