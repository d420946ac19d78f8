/**
 * The job's files as the sandbox leaves them: measured against the write cap while
 * commands run, and listed for publishing without ever following a link the sandbox
 * may have planted.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

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
  const stack = [...dirs];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const st = await fs.lstat(path.join(dir, name)).catch(() => undefined);
      if (!st) continue; // removed while we looked
      total.entries += 1;
      total.bytes += st.size;
      if (st.isDirectory()) stack.push(path.join(dir, name));
      if (total.bytes > stopAt.bytes || total.entries > stopAt.entries) return total;
    }
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
 * write the output. lchown: never through a link. A file with other hard links is left
 * alone: it may be a host file (say /etc/shadow) linked in, and must not change hands.
 * Only while no sandbox process runs (before a command; both backends end every process
 * of a command with it): a live one could swap a folder for a link between the lstat and
 * the readdir here.
 */
export async function handOver(dir: string, uid: number, gid: number): Promise<void> {
  const give = async (p: string): Promise<void> => {
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st || st.isSymbolicLink() || (st.isFile() && st.nlink > 1)) return;
    if (st.uid !== uid || st.gid !== gid) await fs.lchown(p, uid, gid);
    if (st.isDirectory()) for (const name of await fs.readdir(p)) await give(path.join(p, name));
  };
  await give(dir);
}
