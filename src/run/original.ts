/**
 * The original a job worked on must still be that content when its outputs are published and
 * when `after:` moves or trashes it. A file that changed meanwhile (a writer that paused longer
 * than the settle window, then went on) publishes nothing and keeps the original where it is;
 * its new content gets a job of its own, named in the skip reason.
 */
import fs from 'node:fs';
import { SkipJob } from '../errors.js';
import { openFileUnder, type OpenedFile } from '../nofollow-files.js';
import { sha256Prefix } from '../publish/content.js';
import { dedupeKey, type Store } from '../queue/store.js';
import type { JobRow } from '../queue/status.js';
import { payloadOf } from './context.js';

export interface SeenOriginal {
  size: number;
  mtimeMs: number;
}

/** `unknown`: the job has no original to check (scheduled, or queued without its facts). */
export type OriginalState = { state: 'same'; seen: SeenOriginal } | { state: 'gone' } | { state: 'unknown' };

/**
 * The original's size and mtime now, once it is confirmed to hold the job's content; throws
 * SkipJob when it holds other content.
 * Same size and mtime as when queued is the same content (as the rescan assumes); a moved mtime
 * is hashed, so a `touch` does not count as a change.
 */
export function confirmOriginal(job: JobRow, definition: string, store: Pick<Store, 'enqueue' | 'byDedupeKey'>, inboxes: readonly string[] = []): OriginalState {
  const facts = payloadOf(job);
  if (!job.file || facts.size === undefined || facts.mtimeMs === undefined) return { state: 'unknown' };
  // Opened without following a link below its inbox: a link or a FIFO there now is not the
  // job's original, and what is hashed is the file itself, not what a name points at.
  let opened: OpenedFile | undefined;
  try {
    opened = openFileUnder(job.file, inboxes);
  } catch {
    opened = undefined;
  }
  if (!opened) return { state: 'gone' }; // removed meanwhile: the job's copy is whole, there is nothing left to tidy
  try {
    const { st } = opened;
    const seen = { size: st.size, mtimeMs: st.mtimeMs };
    if (st.size === facts.size && st.mtimeMs === facts.mtimeMs) return { state: 'same', seen };
    const sha256 = st.size === facts.size && job.sha256 ? sha256Prefix(opened.path) : undefined;
    if (sha256 !== undefined && sha256 === job.sha256) return { state: 'same', seen };
    throw new SkipJob(`the file changed while it was processed, so nothing was published and the original was left where it is; ${queueNewContent(job, definition, st, sha256 ?? sha256Prefix(opened.path), store)}`);
  } finally {
    opened.close();
  }
}

function queueNewContent(job: JobRow, definition: string, st: fs.Stats, sha256: string, store: Pick<Store, 'enqueue' | 'byDedupeKey'>): string {
  const file = job.file as string;
  const row = store.enqueue({ rule: job.rule, definition, file, sha256, trigger: job.trigger, dedupe: true, payload: { size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs || st.mtimeMs } })
    ?? store.byDedupeKey(dedupeKey(job.rule, definition, sha256));
  return row ? `its new content is job ${row.id}` : 'its new content gets a job of its own';
}
