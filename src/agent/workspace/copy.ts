/**
 * Bounded copies of folders into a job's workspace: regular files only (links are never
 * followed), smallest first so a ledger gets in before an archive of PDFs, each with its
 * original mtime so an untouched copy can be told from a changed one. Copy-on-write clones
 * where the file system has them (btrfs, XFS, APFS): a big outputs folder costs no space; and
 * sparse files keep their holes (sparse.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openFolder } from '../../nofollow.js';
import { entryOf, openFileIn } from '../../nofollow-files.js';
import { TEMP_PREFIX } from '../../publish/publish.js';
import { copyKeepingHolesSync } from '../../publish/sparse.js';

export interface CopiedFile {
  size: number;
  mtimeMs: number;
}

export interface TreeCopy {
  /** Relative '/'-separated path -> size and mtime of the copy as made. */
  copied: Map<string, CopiedFile>;
  /** Files left out because the copy would have passed its limits. */
  left: number;
}

interface Found {
  rel: string;
  size: number;
}

/**
 * The regular files under `root` (a shared outputs folder, a scheduled rule's input folder),
 * each folder opened from its parent without following: a folder swapped for a link while this
 * walks is not entered.
 */
function walk(root: string, rel = '', out: Found[] = []): Found[] {
  let folder;
  try {
    folder = openFolder(root, rel);
  } catch {
    return out; // became a link or a file meanwhile: not entered
  }
  if (!folder) return out;
  try {
    for (const name of fs.readdirSync(folder.at('.'))) {
      const st = entryOf(folder, name);
      const r = rel ? `${rel}/${name}` : name;
      if (st?.isDirectory()) walk(root, r, out);
      else if (st?.isFile() && !name.startsWith(TEMP_PREFIX)) out.push({ rel: r, size: st.size });
    }
  } catch {
    /* the folder went away while it was read */
  } finally {
    folder.close();
  }
  return out;
}

export function copyTree(from: string, to: string, limits: { maxBytes: number; maxFiles: number }, skip: (rel: string) => boolean = () => false): TreeCopy {
  const files = walk(from).filter((f) => !skip(f.rel)).sort((a, b) => a.size - b.size);
  const copied = new Map<string, CopiedFile>();
  let bytes = 0;
  for (const f of files) {
    if (copied.size >= limits.maxFiles || bytes + f.size > limits.maxBytes) break;
    const made = copyOne(from, f.rel, path.join(to, f.rel));
    if (!made) continue;
    copied.set(f.rel, made);
    bytes += made.size;
  }
  return { copied, left: files.length - copied.size };
}

/**
 * One file, `rel` under `root`, opened without following and copied from what was opened, with
 * its mtime; undefined when it vanished or turned into something else (a link) meanwhile.
 */
export function copyOne(root: string, rel: string, dest: string): CopiedFile | undefined {
  let opened;
  try {
    opened = openFileIn(root, rel);
  } catch {
    return undefined;
  }
  if (!opened) return undefined;
  try {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    copyKeepingHolesSync(opened.path, dest);
    fs.utimesSync(dest, opened.st.atime, opened.st.mtime);
    const made = fs.statSync(dest);
    return { size: made.size, mtimeMs: made.mtimeMs };
  } catch {
    return undefined;
  } finally {
    opened.close();
  }
}
