/**
 * The job's files as the sandbox leaves them: measured against the write cap while
 * commands run, and listed for publishing without ever following a link the sandbox
 * may have planted.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { chownTreeNoFollow, walkNoFollow } from '../nofollow.js';

export interface OutputSize {
  bytes: number;
  entries: number;
}

/**
 * Apparent size of everything under `dirs`, symlinks not followed. Stops counting
 * once past `stopAt` (bytes or entries) so a runaway script cannot make the check slow.
 * Apparent size, not blocks: a 100 GB sparse file costs nothing on disk, but the
 * publisher would copy all of it.
 */
export async function measure(dirs: string[], stopAt: OutputSize = { bytes: Infinity, entries: Infinity }): Promise<OutputSize> {
  const total: OutputSize = { bytes: 0, entries: 0 };
  for (const dir of dirs) {
    // Commands run while this walks: a folder swapped for a link must not lead it over the host.
    await walkNoFollow(dir, (_rel, st) => {
      total.entries += 1;
      total.bytes += st.size;
      return total.bytes <= stopAt.bytes && total.entries <= stopAt.entries;
    });
    if (total.bytes > stopAt.bytes || total.entries > stopAt.entries) break;
  }
  return total;
}

export interface OutputListing {
  /** Regular files, relative to the output folder, '/'-separated: safe to publish. */
  files: string[];
  /** Everything else found there, never to be published (symlinks, fifos, sockets, devices). */
  skipped: { path: string; reason: string }[];
}

/**
 * What a job left in its output staging, for the publisher. Walks with lstat and
 * never descends into or follows a symlink, so a link to /etc/passwd (or to a folder
 * outside) is reported instead of published. Call it after `sandbox.close()`, when
 * nothing can change the folder any more, and open each file with O_NOFOLLOW.
 */
export async function listOutputFiles(outputDir: string): Promise<OutputListing> {
  const listing: OutputListing = { files: [], skipped: [] };
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(outputDir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(relPath);
      else if (entry.isFile()) listing.files.push(relPath);
      else if (entry.isSymbolicLink()) {
        const target = await fs.readlink(path.join(outputDir, relPath)).catch(() => '?');
        listing.skipped.push({ path: relPath, reason: `symbolic link to ${target}: not followed` });
      } else listing.skipped.push({ path: relPath, reason: 'not a regular file' });
    }
  };
  await walk('');
  listing.files.sort();
  return listing;
}

/**
 * True when `relPath` names a regular file inside `outputDir` reached through real
 * folders only: no `..`, no absolute path, no symlink anywhere on the way.
 */
export async function isSafeOutputEntry(outputDir: string, relPath: string): Promise<boolean> {
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (path.isAbsolute(relPath) || parts.length === 0 || parts.includes('..')) return false;
  let at = outputDir;
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part);
    const st = await fs.lstat(at).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return false;
    if (i < parts.length - 1 ? !st.isDirectory() : !st.isFile()) return false;
  }
  return true;
}

/**
 * Gives `dir` and what is in it to the sandbox's uid, when the daemon runs as root and
 * the sandbox as an unprivileged uid that could otherwise neither read the input nor
 * write the output. Never through a link, at any step, and never a file with other hard
 * links: it may be a host file (say /etc/shadow) linked in, and must not change hands.
 * Called only while no sandbox process runs (before a command; see quiet.ts).
 */
export async function handOver(dir: string, uid: number, gid: number): Promise<void> {
  chownTreeNoFollow(dir, uid, gid);
}
