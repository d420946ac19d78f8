/**
 * Files in places someone else can write (inboxes, outputs folders, a job's output/), opened
 * once and then used through what was opened: the companion of nofollow.ts for the host side
 * (intake, the runners, publishing, `after:`, revert, the dashboard, the compile job).
 *
 * Three ways to reach a file, by what is trusted:
 *   - under a base folder (an inbox, an outputs folder: the person's choice, followed), every
 *     step below it opened with O_NOFOLLOW (openFileIn, openFileUnder);
 *   - an absolute path whose folders may include the person's own links (an outputs folder that
 *     points at a NAS, /home on some systems): walked from `/`, following only links that belong
 *     to this process's user or to root, which no other account can make (openFolderPath);
 *   - a real path (realpath'ed a moment ago): walked from `/` following no link at all.
 * A file is opened with O_NOFOLLOW | O_NONBLOCK (a FIFO never blocks the event loop), and its
 * kind and size are checked on the descriptor. What it holds is then read through `path`
 * (/proc/self/fd/N on Linux: that very file, whatever the name points at by then).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, SkipJob, ToolError } from './errors.js';
import { clip, openFolder, partsOf, type Folder } from './nofollow.js';

const PROC = fs.existsSync('/proc/self/fd');
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;
export const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

/** A regular file as opened: read it through `path`, never through its name again. */
export interface OpenedFile {
  fd: number;
  st: fs.Stats;
  /** Reads the opened file itself (/proc/self/fd/N on Linux). */
  path: string;
  /** The folder it was found in, held open: rename or unlink it as `folder.at(name)`. */
  folder: Folder;
  name: string;
  close(): void;
}

/** What a non-regular entry is, in words for a skipped row or a refused compile. */
export function kindWords(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a folder, not a file';
  if (st.isSymbolicLink()) return 'a symbolic link; links are never followed';
  if (st.isFIFO()) return 'a FIFO (named pipe), not a file';
  if (st.isSocket()) return 'a socket, not a file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device node, not a file';
  return 'not a regular file';
}

/**
 * Opens the regular file `name` of the held `folder` (which stays open: the caller closes it,
 * or the returned file does when `own` is set). Undefined when there is nothing by that name;
 * a link, a FIFO, a device, a folder or a file over `maxBytes` is refused with a ToolError.
 */
export function openFileInFolder(folder: Folder, name: string, shown: string, opts: { maxBytes?: number; own?: boolean } = {}): OpenedFile | undefined {
  let fd: number;
  try {
    fd = fs.openSync(folder.at(name), FILE_FLAGS);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'EMLINK') throw new ToolError(`${clip(shown)} is a symbolic link; links are never followed`);
    if (code === 'ENXIO') throw new ToolError(`${clip(shown)} is a socket, not a file`);
    throw err;
  }
  const st = fs.fstatSync(fd);
  const not = kindWords(st);
  if (not || (opts.maxBytes !== undefined && st.size > opts.maxBytes)) {
    fs.closeSync(fd);
    throw new ToolError(not ? `${clip(shown)} is ${not}` : `${clip(shown)} is ${st.size} bytes, more than the ${opts.maxBytes} allowed`);
  }
  const file: OpenedFile = {
    fd, st, folder, name,
    path: PROC ? `/proc/self/fd/${fd}` : folder.at(name),
    close: () => {
      fs.closeSync(fd);
      if (opts.own) folder.close();
    },
  };
  return file;
}

/** The regular file `rel` under `base`, every step below `base` opened without following. */
export function openFileIn(base: string, rel: string, opts: { shown?: string; maxBytes?: number; create?: boolean } = {}): OpenedFile | undefined {
  const shown = opts.shown ?? rel;
  const parts = partsOf(rel);
  const name = parts.pop();
  if (name === undefined) throw new ToolError(`${clip(shown)}: a file name is needed`);
  // A file right in the base: the base is followed anyway and O_NOFOLLOW guards the name, so
  // the folder need not be opened first (two system calls fewer for every drop of a flat inbox:
  // `npm run bench -- pipeline` queues a burst with this on the main thread).
  const folder = parts.length === 0 && !opts.create ? baseFolder(base) : openFolder(base, parts.join('/'), { shown, ...(opts.create ? { create: true } : {}) });
  if (!folder) return undefined;
  try {
    const file = openFileInFolder(folder, name, shown, { ...opts, own: true });
    if (!file) folder.close();
    return file;
  } catch (err) {
    folder.close();
    throw err;
  }
}

/**
 * The deepest of `roots` that holds `file`, and the rest of the path below it. A file in none
 * of them (`dropwork run ~/Documents/x.pdf`) has its own folder as base: the person named it.
 */
export function baseOf(file: string, roots: readonly string[]): { base: string; rel: string } {
  const abs = path.resolve(file);
  let best: string | undefined;
  for (const r of roots ?? []) {
    const root = path.resolve(r);
    const rel = path.relative(root, abs);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel) && (!best || root.length > best.length)) best = root;
  }
  const base = best ?? path.dirname(abs);
  return { base, rel: path.relative(base, abs).split(path.sep).join('/') };
}

/** `file` (absolute), opened without following any link below the deepest of `roots` that holds it. */
export function openFileUnder(file: string, roots: readonly string[], opts: { maxBytes?: number } = {}): OpenedFile | undefined {
  const { base, rel } = baseOf(file, roots);
  return openFileIn(base, rel, { shown: file, ...opts });
}

/**
 * The original of a job, opened for copying: SkipJob when it is gone or is not a regular file
 * (a link, a folder, a FIFO: it became one after it was queued, or a folder on its way did).
 */
export function openOriginal(file: string, inboxes: readonly string[]): OpenedFile {
  let opened: OpenedFile | undefined;
  try {
    opened = openFileUnder(file, inboxes);
  } catch (err) {
    if (err instanceof ToolError) throw new SkipJob(`the file was not opened: ${err.message}`);
    if (errorCode(err) === 'ENOENT') throw new SkipJob('the file was removed before its job ran');
    throw err;
  }
  if (!opened) throw new SkipJob('the file was removed before its job ran');
  return opened;
}

/** Runs `use` on the opened file, closing it after (also when `use` throws or rejects). */
export async function usingFile<T>(file: OpenedFile, use: (f: OpenedFile) => Promise<T> | T): Promise<T> {
  try {
    return await use(file);
  } finally {
    file.close();
  }
}

/** sha256 and size of an opened file, read through its descriptor. */
export function hashOpened(file: Pick<OpenedFile, 'fd'>): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let at = 0;
  for (;;) {
    const n = fs.readSync(file.fd, buf, 0, buf.length, at);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    at += n;
  }
  return { sha256: hash.digest('hex'), size: at };
}

/** sha256 of an opened file read off the main thread, for big files (intake of a 1 GB scan). */
export function hashOpenedAsync(file: Pick<OpenedFile, 'fd'>): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = fs.createReadStream('', { fd: file.fd, autoClose: false, start: 0, highWaterMark: 1 << 20 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/** The whole content of an opened file, read through its descriptor. */
export function readOpened(file: Pick<OpenedFile, 'fd' | 'st'>): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(Math.min(Math.max(file.st.size, 1), 1 << 20) + 1);
  for (let at = 0; ;) {
    const n = fs.readSync(file.fd, buf, 0, buf.length, at);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    at += n;
  }
  return Buffer.concat(chunks);
}

/** The content of `rel` under `base` (a regular file, at most `maxBytes`); undefined when it is not there. */
export function readFileIn(base: string, rel: string, opts: { shown?: string; maxBytes?: number } = {}): Buffer | undefined {
  const file = openFileIn(base, rel, opts);
  if (!file) return undefined;
  try {
    const content = readOpened(file);
    if (opts.maxBytes !== undefined && content.length > opts.maxBytes) throw new ToolError(`${clip(opts.shown ?? rel)} grew past the ${opts.maxBytes} bytes allowed while it was read`);
    return content;
  } finally {
    file.close();
  }
}

/** The content of the absolute `file`, opened as openFileUnder does; throws ENOENT when it is gone. */
export function readFileUnder(file: string, roots: readonly string[], opts: { maxBytes?: number } = {}): Buffer {
  const { base, rel } = baseOf(file, roots);
  const content = readFileIn(base, rel, { shown: file, ...opts });
  if (!content) throw Object.assign(new Error(`${file} is gone`), { code: 'ENOENT' });
  return content;
}

/** lstat of the entry `name` of a held folder; undefined when there is none. */
export function entryOf(folder: Folder, name: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(folder.at(name));
  } catch {
    return undefined;
  }
}

/** Whether the entry `name` of `folder` is still the file that was opened (same device and inode). */
export function stillThere(file: Pick<OpenedFile, 'folder' | 'name' | 'st'>): boolean {
  const now = entryOf(file.folder, file.name);
  return now !== undefined && now.ino === file.st.ino && now.dev === file.st.dev;
}

/** Who may have made a link that is followed on the way to an absolute path: this process's user and root. */
function trusted(st: fs.Stats): boolean {
  return st.uid === 0 || st.uid === (process.getuid?.() ?? st.uid);
}

/**
 * The folder `dir` (absolute), walked from `/` one step at a time: each step opened relative to
 * the one before with O_NOFOLLOW. `links: 'own'` follows a link that belongs to this process's
 * user or to root (the person's own: another account cannot make one), re-walking its target
 * the same way; `links: 'none'` follows none (for a path realpath'ed a moment ago). A link of
 * any other account, at any step, is refused. `create` makes missing folders (0755).
 */
export function openFolderPath(dir: string, opts: { links: 'own' | 'none'; create?: boolean; shown?: string }): Folder | undefined {
  const shown = opts.shown ?? dir;
  if (!path.isAbsolute(dir)) throw new ToolError(`${clip(shown)}: not an absolute path`);
  let folder = heldFd(fs.openSync('/', O_RDONLY | O_DIRECTORY), '/');
  const todo = partsOf(dir.slice(1));
  let at = '/';
  let hops = 0;
  try {
    while (todo.length > 0) {
      const part = todo.shift() as string;
      if (part === '..') {
        // Only from a link's target: go back up from where the walk is (a fresh walk to the parent).
        const up = path.dirname(at);
        folder.close();
        folder = heldFd(fs.openSync('/', O_RDONLY | O_DIRECTORY), '/');
        at = '/';
        todo.unshift(...partsOf(up.slice(1)));
        continue;
      }
      const next = path.join(at, part);
      let fd: number;
      try {
        fd = fs.openSync(folder.at(part), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'ENOENT' && opts.create) {
          try { fs.mkdirSync(folder.at(part), { mode: 0o755 }); } catch (e) { if (errorCode(e) !== 'EEXIST') throw e; }
          todo.unshift(part);
          continue;
        }
        if (code === 'ENOENT') { folder.close(); return undefined; }
        if (code !== 'ELOOP' && code !== 'ENOTDIR') throw err;
        const st = fs.lstatSync(folder.at(part));
        if (!st.isSymbolicLink()) throw new ToolError(`${clip(shown)}: ${next} is a file, not a folder`);
        if (opts.links === 'none' || !trusted(st)) throw new ToolError(`${clip(shown)}: ${next} is a symbolic link${opts.links === 'none' ? '' : ' of another account'}; it is not followed`);
        if (++hops > 40) throw new ToolError(`${clip(shown)}: too many links on the way`);
        const target = fs.readlinkSync(folder.at(part));
        // The link read must be the one checked: its inode is unchanged (a link's text never changes).
        const again = fs.lstatSync(folder.at(part));
        if (again.ino !== st.ino || again.dev !== st.dev) throw new ToolError(`${clip(shown)}: ${next} changed while it was looked at; refused`);
        if (path.isAbsolute(target)) {
          folder.close();
          folder = heldFd(fs.openSync('/', O_RDONLY | O_DIRECTORY), '/');
          at = '/';
        }
        if (target.includes('\0')) throw new ToolError(`${clip(shown)}: ${next} is a link with a NUL in it`);
        todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
        continue;
      }
      folder.close();
      folder = heldFd(fd, next);
      at = next;
    }
    return folder;
  } catch (err) {
    folder.close();
    throw err;
  }
}

/** The trusted base itself, named rather than held: its entries are reached as base/name. */
function baseFolder(base: string): Folder {
  return { fd: -1, at: (name) => path.join(base, name), close: () => undefined };
}

function heldFd(fd: number, fallbackPath: string): Folder {
  const base = PROC ? `/proc/self/fd/${fd}` : fallbackPath;
  return { fd, at: (name) => `${base}/${name}`, close: () => fs.closeSync(fd) };
}

/** The parent folder of the absolute `file`, opened as openFolderPath does, and the file's name. */
export function openParentPath(file: string, opts: { links: 'own' | 'none'; create?: boolean }): { folder: Folder; name: string } | undefined {
  const name = path.basename(file);
  if (!name || name === '..' || name === '.') throw new ToolError(`${clip(file)}: a file name is needed`);
  const folder = openFolderPath(path.dirname(file), { ...opts, shown: file });
  return folder && { folder, name };
}

/** The regular file at the absolute `file`, reached as openFolderPath does. */
export function openFilePath(file: string, opts: { links: 'own' | 'none'; maxBytes?: number }): OpenedFile | undefined {
  const p = openParentPath(file, opts);
  if (!p) return undefined;
  try {
    const f = openFileInFolder(p.folder, p.name, file, { ...opts, own: true });
    if (!f) p.folder.close();
    return f;
  } catch (err) {
    p.folder.close();
    throw err;
  }
}
