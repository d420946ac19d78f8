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

/** What an inbox entry is, as far as dropwork is concerned. */
export type EntryKind = 'file' | 'link' | 'folder' | 'fifo' | 'socket' | 'device' | 'badname';

export interface InboxEntry {
  path: string;
  kind: EntryKind;
}

/**
 * Every entry of an inbox that should leave a trace in the history: files and links, and also
 * what dropwork cannot take (FIFOs, sockets, device nodes, names that are not valid UTF-8, and
 * folders in an inbox that does not look inside folders). Names are read as bytes, because Node
 * turns a name that is not UTF-8 into a string naming no file, which would vanish unnoticed.
 */
export function listEntries(folder: string, recursive: boolean): InboxEntry[] {
  const out: InboxEntry[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const e of entries) {
      const name = e.name.toString('utf8');
      if (!Buffer.from(name, 'utf8').equals(e.name)) {
        out.push({ path: path.join(dir, printableName(e.name)), kind: 'badname' });
        continue;
      }
      if (isIgnoredName(name)) continue;
      const full = path.join(dir, name);
      if (e.isDirectory()) {
        if (recursive) walk(full, depth + 1);
        else if (depth === 0) out.push({ path: full, kind: 'folder' });
      } else {
        out.push({ path: full, kind: entryKind(e) });
      }
    }
  };
  walk(folder, 0);
  return out;
}

export function entryKind(e: fs.Dirent<Buffer | string> | fs.Stats): EntryKind {
  if (e.isFile()) return 'file';
  if (e.isSymbolicLink()) return 'link';
  if (e.isDirectory()) return 'folder';
  if (e.isFIFO()) return 'fifo';
  if (e.isSocket()) return 'socket';
  return 'device';
}

/** A name that is not valid UTF-8, with its bad bytes written as \xNN: unique and readable. */
export function printableName(raw: Buffer): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let out = '';
  let i = 0;
  while (i < raw.length) {
    let len = 0;
    for (let n = 1; n <= 4 && i + n <= raw.length; n++) {
      try {
        out += decoder.decode(raw.subarray(i, i + n));
        len = n;
        break;
      } catch {
        /* not a whole character yet */
      }
    }
    if (len === 0) {
      out += `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
      len = 1;
    }
    i += len;
  }
  return out;
}
