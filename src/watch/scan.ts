import fs from 'node:fs';
import path from 'node:path';
import { isIgnoredName, isInside } from '../rules/match.js';

/**
 * Every candidate file in an inbox, for catch-up and the periodic rescan. Links are listed (so
 * they get their "not followed" outcome) but never descended into.
 */
export function listInbox(folder: string, recursive: boolean, exclude: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (isIgnoredName(e.name)) continue;
      const full = path.join(dir, e.name);
      if (exclude.some((o) => full === o || isInside(full, o))) continue;
      if (e.isDirectory()) {
        if (recursive) walk(full);
      } else if (e.isFile() || e.isSymbolicLink()) {
        out.push(full);
      }
    }
  };
  walk(folder);
  return out;
}
