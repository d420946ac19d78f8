/**
 * Host-side file access for the agent and for publishing, never through a link. A job's
 * output/ is written by hostile commands: a folder there may be swapped for a link to `/` at
 * any moment, so "check the path, then use the path" is not enough. Here every step of a path
 * is opened on its own, relative to the folder opened before it (on Linux, `/proc/self/fd/N/name`
 * is openat(N, name)), with O_NOFOLLOW: a link at any component is refused, and what is used
 * is the very file that was checked. Elsewhere (macOS) each step is lstat'ed, opened with
 * O_NOFOLLOW and compared by device and inode, a weaker check; there the sandbox's freezing
 * between commands (src/sandbox/quiet.ts) is what keeps the folder still.
 *
 * Tools, the write cap, handing output/ to the sandbox user, and publishing call this; nothing
 * else opens workspace paths. Refusals are ToolErrors: their message is for the model (or for
 * the job's history).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ToolError, errorCode } from './errors.js';

const PROC = fs.existsSync('/proc/self/fd');
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/** A folder reached through real folders only, held open: `at(name)` names an entry of that very folder. */
export interface Folder {
  fd: number;
  at(name: string): string;
  close(): void;
}

function held(fd: number, fallbackPath: string): Folder {
  const base = PROC ? `/proc/self/fd/${fd}` : fallbackPath;
  return { fd, at: (name) => `${base}/${name}`, close: () => fs.closeSync(fd) };
}

/** The parts of a '/'-separated relative path; a part that could climb or hide is refused. */
export function partsOf(rel: string): string[] {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  for (const p of parts) {
    if (p === '..') throw new ToolError(`"${clip(rel)}" climbs out with ".."`);
    if (p.includes('\0')) throw new ToolError('a path cannot contain a NUL character');
  }
  return parts;
}

/** Opens `name` in `parent` as a folder, refusing a link; undefined when it does not exist. */
function openChild(parent: Folder, name: string, shown: string, fallbackPath: string): Folder | undefined {
  let fd: number;
  try {
    fd = fs.openSync(parent.at(name), DIR_FLAGS);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || (code === 'ENOTDIR' && isLink(parent.at(name)))) throw new ToolError(`${shown}: ${name} is a symbolic link; links are never followed`);
    if (code === 'ENOTDIR') throw new ToolError(`${shown}: ${name} is a file, not a folder`);
    throw err;
  }
  if (!PROC) {
    // No openat here: the entry checked and the folder opened must be one and the same.
    const [seen, got] = [fs.lstatSync(fallbackPath), fs.fstatSync(fd)];
    if (seen.isSymbolicLink() || seen.ino !== got.ino || seen.dev !== got.dev) {
      fs.closeSync(fd);
      throw new ToolError(`${shown}: ${name} changed while it was opened; refused`);
    }
  }
  return held(fd, fallbackPath);
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The folder `rel` under `base` (`base` itself is trusted: the daemon's or the person's). `create` makes missing folders (never through a link); without it a missing
 * one is undefined.
 */
export function openFolder(base: string, rel: string, opts: { create?: boolean; shown?: string } = {}): Folder | undefined {
  const shown = opts.shown ?? rel;
  let folder: Folder;
  try {
    // The base is followed: it is the daemon's or the person's choice (an outputs folder may
    // well be a link to a NAS), and no job can replace it, only what is inside.
    folder = held(fs.openSync(base, O_RDONLY | O_DIRECTORY), base);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' && !opts.create) return undefined;
    if (errorCode(err) === 'ENOENT') return openFolder(mkdirBase(base), rel, opts);
    if (errorCode(err) === 'ENOTDIR') throw new ToolError(`${shown}: not a folder`);
    throw err;
  }
  let at = base;
  for (const part of partsOf(rel)) {
    at = path.join(at, part);
    let next: Folder | undefined;
    try {
      next = openChild(folder, part, shown, at);
      if (!next && opts.create) {
        try {
          fs.mkdirSync(folder.at(part), { mode: 0o755 });
        } catch (err) {
          if (errorCode(err) !== 'EEXIST') throw err;
        }
        next = openChild(folder, part, shown, at);
      }
    } finally {
      // Closed on a refusal too (a link in the way): a neighbour flipping a folder against a
      // link made every refused try leak one descriptor, until the daemon ran out of them.
      folder.close();
    }
    if (!next) return undefined;
    folder = next;
  }
  return folder;
}

function mkdirBase(base: string): string {
  fs.mkdirSync(base, { recursive: true });
  return base;
}

/** The parent folder of `rel` and the last part's name; undefined when the parent is not there. */
function parentOf(base: string, rel: string, opts: { create?: boolean; shown?: string }): { folder: Folder; name: string } | undefined {
  const parts = partsOf(rel);
  const name = parts.pop();
  if (name === undefined) throw new ToolError(`${opts.shown ?? rel}: a file name is needed`);
  const folder = openFolder(base, parts.join('/'), opts);
  return folder && { folder, name };
}

/** lstat of `rel` under `base`, reached through real folders only; undefined when it is not there. */
export function entryStat(base: string, rel: string, shown = rel): fs.Stats | undefined {
  if (partsOf(rel).length === 0) {
    const folder = openFolder(base, '', { shown });
    if (!folder) return undefined;
    try { return fs.fstatSync(folder.fd); } finally { folder.close(); }
  }
  const p = parentOf(base, rel, { shown });
  if (!p) return undefined;
  try {
    return fs.lstatSync(p.folder.at(p.name));
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined;
    throw err;
  } finally {
    p.folder.close();
  }
}

/**
 * Runs `use` with a path that names the regular file `rel` itself, as opened (on Linux
 * `/proc/self/fd/N`): code that reads by path then reads that file and nothing else.
 * Undefined when the file is not there.
 */
export async function withFile<T>(base: string, rel: string, shown: string, use: (file: string, st: fs.Stats) => Promise<T>): Promise<T | undefined> {
  const p = parentOf(base, rel, { shown });
  if (!p) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(p.folder.at(p.name), O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    if (errorCode(err) === 'ELOOP') throw new ToolError(`${shown} is a symbolic link; links are never followed`);
    throw err;
  } finally {
    p.folder.close();
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new ToolError(`${shown} is a folder; use list_files`);
    if (!st.isFile()) throw new ToolError(`${shown} is not a regular file`);
    return await use(PROC ? `/proc/self/fd/${fd}` : path.join(base, rel), st);
  } finally {
    fs.closeSync(fd);
  }
}

export interface FolderEntry {
  name: string;
  st: fs.Stats;
}

/** The entries of folder `rel` (lstat'ed: links are reported as links); undefined when it is not there. */
export function listFolderEntries(base: string, rel: string, shown = rel): FolderEntry[] | undefined {
  const folder = openFolder(base, rel, { shown });
  if (!folder) return undefined;
  try {
    const out: FolderEntry[] = [];
    for (const name of fs.readdirSync(folder.at('.'))) {
      try {
        out.push({ name, st: fs.lstatSync(folder.at(name)) });
      } catch {
        /* removed while listing */
      }
    }
    return out;
  } finally {
    folder.close();
  }
}

/**
 * Writes `rel` whole: to a fresh temporary name in its folder (created exclusively, never
 * through a link), then renamed over the final name, which replaces a link rather than
 * following it. `before` (a path from withFile) is copied in first, for appending.
 */
export function writeFileIn(base: string, rel: string, shown: string, content: string, before?: string): number {
  const p = parentOf(base, rel, { create: true, shown });
  if (!p) throw new ToolError(`${shown}: its folder cannot be made`);
  const { folder, name } = p;
  try {
    const existing = lstatOrUndefined(folder.at(name));
    if (existing?.isDirectory()) throw new ToolError(`${shown} is a folder`);
    const temp = folder.at(`.write-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.tmp`);
    const fd = fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      if (before) fs.writeSync(fd, fs.readFileSync(before));
      fs.writeSync(fd, content);
      fs.closeSync(fd);
      fs.renameSync(temp, folder.at(name));
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
    return lstatOrUndefined(folder.at(name))?.size ?? 0;
  } finally {
    folder.close();
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Visits every entry under `dir` (lstat'ed), descending only into real folders, each opened
 * from its parent: a folder swapped for a link mid-walk is not entered. `visit` returns false
 * to stop. The open folders are only those on the current path.
 */
export async function walkNoFollow(dir: string, visit: (rel: string, st: fs.Stats) => boolean): Promise<void> {
  const root = openFolder(dir, '');
  if (!root) return;
  let going = true;
  const walk = async (folder: Folder, rel: string): Promise<void> => {
    const names = await fs.promises.readdir(folder.at('.')).catch(() => [] as string[]);
    for (const name of names) {
      if (!going) return;
      const st = await fs.promises.lstat(folder.at(name)).catch(() => undefined);
      if (!st) continue; // removed while we looked
      const childRel = rel ? `${rel}/${name}` : name;
      going = visit(childRel, st);
      if (!going || !st.isDirectory()) continue;
      let child: Folder | undefined;
      try {
        child = openChild(folder, name, childRel, path.join(dir, childRel));
      } catch {
        continue; // became a link or a file meanwhile: not entered
      }
      if (!child) continue;
      try { await walk(child, childRel); } finally { child.close(); }
    }
  };
  try { await walk(root, ''); } finally { root.close(); }
}

/**
 * Gives `dir` and all under it to uid:gid, through real folders only: each entry is opened
 * with O_NOFOLLOW and changed through its descriptor (fchown), so what changes hands is what
 * was checked. Links are left alone, and so are files with other hard links (one may be a
 * host file, say /etc/shadow, linked in).
 */
export function chownTreeNoFollow(dir: string, uid: number, gid: number): void {
  const give = (fd: number): fs.Stats => {
    const st = fs.fstatSync(fd);
    if ((st.isDirectory() || (st.isFile() && st.nlink === 1)) && (st.uid !== uid || st.gid !== gid)) fs.fchownSync(fd, uid, gid);
    return st;
  };
  const walk = (folder: Folder, rel: string): void => {
    give(folder.fd);
    for (const name of fs.readdirSync(folder.at('.'))) {
      const childRel = rel ? `${rel}/${name}` : name;
      let fd: number;
      try {
        fd = fs.openSync(folder.at(name), O_RDONLY | O_NOFOLLOW | fs.constants.O_NONBLOCK);
      } catch {
        continue; // a link (ELOOP), a socket, or gone
      }
      let isDir = false;
      try { isDir = give(fd).isDirectory(); } finally { fs.closeSync(fd); }
      if (!isDir) continue;
      let child: Folder | undefined;
      try { child = openChild(folder, name, childRel, path.join(dir, childRel)); } catch { continue; }
      if (child) try { walk(child, childRel); } finally { child.close(); }
    }
  };
  const root = openFolder(dir, '');
  if (root) try { walk(root, ''); } finally { root.close(); }
}

/** A message sized for the model and the history: a 10 MB path must not come back whole. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
