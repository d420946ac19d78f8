/**
 * Bounded copies of folders into a job's workspace: regular files only (links are never
 * followed), smallest first so a ledger gets in before an archive of PDFs, each with its
 * original mtime so an untouched copy can be told from a changed one. Copy-on-write clones
 * where the file system has them (btrfs, XFS, APFS): a big outputs folder costs no space; and
 * sparse files keep their holes (sparse.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
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

function walk(root: string, rel = '', out: Found[] = []): Found[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(root, r, out);
    else if (e.isFile() && !e.name.startsWith(TEMP_PREFIX)) {
      try {
        out.push({ rel: r, size: fs.lstatSync(path.join(root, r)).size });
      } catch {
        /* gone while we looked */
      }
    }
  }
  return out;
}

export function copyTree(from: string, to: string, limits: { maxBytes: number; maxFiles: number }, skip: (rel: string) => boolean = () => false): TreeCopy {
  const files = walk(from).filter((f) => !skip(f.rel)).sort((a, b) => a.size - b.size);
  const copied = new Map<string, CopiedFile>();
  let bytes = 0;
  for (const f of files) {
    if (copied.size >= limits.maxFiles || bytes + f.size > limits.maxBytes) break;
    const dest = path.join(to, f.rel);
    const made = copyOne(path.join(from, f.rel), dest);
    if (!made) continue;
    copied.set(f.rel, made);
    bytes += made.size;
  }
  return { copied, left: files.length - copied.size };
}

/** One file, with its mtime; undefined when it vanished or turned into something else meanwhile. */
export function copyOne(src: string, dest: string): CopiedFile | undefined {
  try {
    const st = fs.lstatSync(src);
    if (!st.isFile()) return undefined;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    copyKeepingHolesSync(src, dest);
    fs.utimesSync(dest, st.atime, st.mtime);
    const made = fs.statSync(dest);
    return { size: made.size, mtimeMs: made.mtimeMs };
  } catch {
    return undefined;
  }
}
