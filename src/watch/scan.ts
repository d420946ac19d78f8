import fs from 'node:fs';
import path from 'node:path';
import { isIgnoredName, isInside } from '../rules/match.js';

export interface WalkOptions {
  recursive: boolean;
  /** Subfolder levels to go down at most (0: the folder itself only). @default unlimited */
  maxDepth?: number;
  /** Entries passed over, and never descended into. */
  skip?: (full: string, entry: fs.Dirent) => boolean;
  /** Checked before each entry: true ends the walk (enough was found). */
  done?: () => boolean;
}

/**
 * Every entry below a folder, depth first, without following links. The one walker for inbox
 * sweeps, temp-file clean-up, the doctor's watch count and the dashboard's file picker.
 */
export function walkFolder(folder: string, opts: WalkOptions, visit: (full: string, entry: fs.Dirent, depth: number) => void): void {
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (opts.done?.()) return;
      const full = path.join(dir, e.name);
      if (opts.skip?.(full, e)) continue;
      visit(full, e, depth);
      if (e.isDirectory() && opts.recursive && depth < (opts.maxDepth ?? Infinity)) walk(full, depth + 1);
    }
  };
  walk(folder, 0);
}

/**
 * Every candidate file in an inbox, for catch-up and the periodic rescan. Links are listed (so
 * they get their "not followed" outcome) but never descended into.
 */
export function listInbox(folder: string, recursive: boolean, exclude: string[]): string[] {
  const out: string[] = [];
  const skip = (full: string, e: fs.Dirent): boolean => isIgnoredName(e.name) || exclude.some((o) => full === o || isInside(full, o));
  walkFolder(folder, { recursive, skip }, (full, e) => {
    if (e.isFile() || e.isSymbolicLink()) out.push(full);
  });
  return out;
}
