/**
 * From staging to published outputs. A job's output/ holds only what it wrote (plus copies
 * made for commands); at the end, each regular file in it that is new or changed becomes a
 * StagedOutput: a file that started from one already in the outputs folder (a ledger such as
 * receipts.csv) carries what it started from, so publishing appends what this job added onto
 * the ledger as it is then (publish.ts); a new one follows the rule's `on_conflict`. Links and other special files a
 * command may have left are reported, never published.
 */
import fs from 'node:fs';
import path from 'node:path';
import { factsOf } from '../../publish/content.js';
import { reservedName, type StagedOutput } from '../../publish/publish.js';
import type { Rule } from '../../rules/rule.js';
import { listOutputFiles } from '../../sandbox/output.js';
import { agentSettings } from '../settings.js';
import { copyTree } from './copy.js';
import type { Workspace } from './workspace.js';

/**
 * Before the first command: the outputs folder's files, copied into staging so a script sees
 * output/ as the file tools do. Bounded; what is left out is said to the model.
 */
export function materializeOutputs(ws: Workspace): { copied: number; left: number } {
  const tree = copyTree(ws.outputs, ws.output, { maxBytes: agentSettings.outputCopyMaxBytes, maxFiles: agentSettings.outputCopyMaxFiles }, (rel) => fs.existsSync(path.join(ws.output, rel)));
  for (const [rel, facts] of tree.copied) {
    ws.copies.set(rel, facts);
    // What a command that appends to it started from (hashed from the copy, which is what it saw).
    ws.bases.set(rel, factsOf(path.join(ws.output, rel)));
  }
  return { copied: tree.copied.size, left: tree.left };
}

export interface Collected {
  staged: StagedOutput[];
  /** Things in output/ that are not published, with why. */
  ignored: { path: string; reason: string }[];
}

export async function collectOutputs(ws: Workspace, rule: Rule): Promise<Collected> {
  const listing = await listOutputFiles(ws.output);
  const staged: StagedOutput[] = [];
  const ignored = [...listing.skipped];
  for (const rel of listing.files) {
    const source = path.join(ws.output, rel);
    const copy = ws.copies.get(rel);
    if (copy) {
      const st = fs.lstatSync(source);
      if (st.size === copy.size && st.mtimeMs === copy.mtimeMs) continue; // a copy nobody changed
    }
    const dest = path.join(rule.output, rel);
    const reserved = reservedName(dest);
    if (reserved) {
      ignored.push({ path: rel, reason: reserved });
      continue;
    }
    const base = ws.bases.get(rel);
    const replaces = copy !== undefined || ws.replaces.has(rel);
    staged.push({ source, dest, onConflict: replaces ? 'overwrite' : rule.onConflict, ...(base ? { base } : {}) });
  }
  if (process.getuid?.() === 0) giveToOwner(staged.map((s) => s.source), rule.output);
  return { staged, ignored };
}

/**
 * A daemon running as root hands output/ to the sandbox's user for commands; what it publishes
 * should belong to whoever owns the outputs folder, not to that user.
 */
function giveToOwner(files: string[], folder: string): void {
  let at = folder;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  const { uid, gid } = fs.statSync(at);
  for (const f of files) fs.lchownSync(f, uid, gid);
}
