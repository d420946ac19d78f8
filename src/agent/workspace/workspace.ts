/**
 * A job's workspace, under its own folder:
 *   input/   a copy of the dropped file (read-only), or of a scheduled rule's `input` folder;
 *   output/  staging: what this job writes. The rule's outputs folder shows through it for
 *            reading (an overlay), so a 10 GB outputs folder costs nothing until a command
 *            needs real files (outputs.ts copies them then).
 * Nothing here touches the real outputs folder: publishing is executeJob's, after success.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SkipJob, ToolError } from '../../errors.js';
import { hashOpened, openFileIn, openOriginal } from '../../nofollow-files.js';
import { entryStat } from '../../nofollow.js';
import type { ContentFacts } from '../../publish/content.js';
import { TEMP_PREFIX } from '../../publish/publish.js';
import { copyKeepingHoles } from '../../publish/sparse.js';
import type { JobContext } from '../../run/context.js';
import { sha256Bytes, sha256File } from '../../watch/fingerprint.js';
import { agentSettings } from '../settings.js';
import { copyTree, type CopiedFile } from './copy.js';
import type { Target } from './resolve.js';

export interface Workspace {
  root: string;
  input: string;
  /** The job's staging folder, seen by the model as output/. */
  output: string;
  /** The rule's outputs folder: read through, never written. */
  outputs: string;
  /** Files in input/, relative to it. */
  inputFiles: string[];
  /** Files of input/ a scheduled rule's folder had beyond the copy limits. */
  inputLeftOut: number;
  /** output/ files that were already in the outputs folder when this job first wrote them. */
  replaces: Set<string>;
  /** Copies of the outputs folder made for commands, as copied: unchanged ones are not published. */
  copies: Map<string, CopiedFile>;
  /**
   * For output/ files that started from a file of the outputs folder: that file's content as
   * this job took it, so publishing can tell an append (published onto the file as it is then)
   * from a rewrite (refused if another job changed the file meanwhile). See publish.ts.
   */
  bases: Map<string, ContentFacts>;
}

export async function openWorkspace(ctx: Pick<JobContext, 'job' | 'rule' | 'workdir'>): Promise<Workspace> {
  const root = path.join(ctx.workdir, 'workspace');
  const ws: Workspace = {
    root,
    input: path.join(root, 'input'),
    output: path.join(root, 'output'),
    outputs: ctx.rule.output,
    inputFiles: [],
    inputLeftOut: 0,
    replaces: new Set(),
    copies: new Map(),
    bases: new Map(),
  };
  fs.mkdirSync(ws.input, { recursive: true });
  fs.mkdirSync(ws.output, { recursive: true });
  if (ctx.job.file) await copyDropped(ctx.job.file, ctx.job.sha256, ws, ctx.rule.watch);
  else if (ctx.rule.input) {
    const tree = copyTree(ctx.rule.input, ws.input, { maxBytes: agentSettings.inputCopyMaxBytes, maxFiles: agentSettings.inputCopyMaxFiles });
    ws.inputFiles = [...tree.copied.keys()].sort();
    ws.inputLeftOut = tree.left;
    for (const rel of ws.inputFiles) fs.chmodSync(path.join(ws.input, rel), 0o444);
  }
  return ws;
}

/**
 * The same checks as deterministic rules: the file must still be there, with the content that
 * was queued. It is opened once without following a link below its inbox (`inboxes`), and
 * copied and hashed from what was opened: a swap for a link after it settled hands nothing
 * of another account's to the model.
 */
async function copyDropped(file: string, sha256: string | null, ws: Workspace, inboxes: readonly string[]): Promise<void> {
  const name = path.basename(file);
  const dest = path.join(ws.input, name);
  const opened = openOriginal(file, inboxes);
  try {
    await copyKeepingHoles(opened.path, dest, opened.st);
  } finally {
    opened.close();
  }
  if (sha256 && (await sha256File(dest)) !== sha256) {
    throw new SkipJob('the file changed before its job ran; its new content gets a job of its own');
  }
  // Read-only for the sandbox too (the folder stays writable so the job's folder can be removed).
  fs.chmodSync(dest, 0o444);
  ws.inputFiles = [name];
}

/** A file the model names, as where it is: a base folder and a path under it, to open without following links. */
export interface Located {
  base: string;
  rel: string;
}

/** Where a path the model names is, for reading: input/, this job's output/, or the outputs folder behind it. */
export function locate(ws: Workspace, t: Target): Located | undefined {
  if (t.area === 'root') return { base: ws.root, rel: '' };
  const base = t.area === 'input' ? ws.input : ws.output;
  if (entryStat(base, t.rel, t.shown)) return { base, rel: t.rel };
  if (t.area === 'input' || path.basename(t.rel).startsWith(TEMP_PREFIX)) return undefined;
  return entryStat(ws.outputs, t.rel, t.shown) ? { base: ws.outputs, rel: t.rel } : undefined;
}

/**
 * Checks `t` may be written, and remembers whether it replaces a file of the outputs folder.
 * Publishing writes into the outputs folder through real folders only, so a link on the way
 * there is refused now, as in output/ (writeFileIn refuses those).
 */
export function checkWritable(ws: Workspace, t: Target): void {
  const own = entryStat(ws.output, t.rel, t.shown);
  if (own?.isDirectory()) throw new ToolError(`${t.shown} is a folder`);
  const behind = entryStat(ws.outputs, t.rel, t.shown);
  if (behind?.isSymbolicLink()) throw new ToolError(`${t.shown} is a symbolic link in the outputs folder; links are never written through`);
  if (!own && !ws.copies.has(t.rel) && behind) {
    ws.replaces.add(t.rel);
    // What the rewrite replaces: publishing refuses it if another job changes the file meanwhile.
    if (!ws.bases.has(t.rel)) {
      // Read without following: the outputs folder may be shared, and a swap is refused here.
      const opened = openFileIn(ws.outputs, t.rel, { shown: t.shown });
      try {
        ws.bases.set(t.rel, opened ? hashOpened(opened) : { size: 0, sha256: sha256Bytes(Buffer.alloc(0)) });
      } finally {
        opened?.close();
      }
    }
  }
}

/** Whether `rel` of output/ is in the outputs folder (it shows through until this job writes it). */
export function inOutputs(ws: Workspace, rel: string): boolean {
  try {
    return entryStat(ws.outputs, rel) !== undefined;
  } catch {
    return false;
  }
}
