/**
 * The freedesktop.org trash (Trash specification 1.0): files/NAME plus info/NAME.trashinfo,
 * in the home trash for files on the home's file system, and in the trash at the top of the
 * file's own file system otherwise ($topdir/.Trash/$uid when an admin made $topdir/.Trash
 * sticky, else $topdir/.Trash-$uid), so trashing a file on a USB disk or a mount is a rename,
 * not a copy of it into the home folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { fitName, NAME_MAX_BYTES } from '../publish/conflict.js';
import { moveFile } from './move-file.js';

/** A file as opened without following: `from` names it in its held folder, `read` reads it. */
export interface OpenedName {
  from: string;
  read: string;
}

export interface TrashDir {
  /** Holds files/ and info/. */
  dir: string;
  /** Path= in .trashinfo is relative to this folder for a top-level trash; absolute for the home trash. */
  relativeTo?: string;
}

export function homeTrash(env: NodeJS.ProcessEnv): TrashDir {
  const home = env.HOME || os.homedir();
  return { dir: path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'Trash') };
}

/** The top folder of the file system `p` is on: the last folder up whose device is the same. */
export function mountTop(p: string): string {
  let dir = path.resolve(p);
  const dev = fs.statSync(dir).dev;
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir || fs.statSync(parent).dev !== dev) return dir;
    dir = parent;
  }
}

/** Which trash `file` goes to, creating a top-level one if needed; undefined if none can be had. */
export function trashFor(file: string, env: NodeJS.ProcessEnv): TrashDir | undefined {
  const home = homeTrash(env);
  const folder = path.dirname(path.resolve(file));
  const homeBase = nearestExisting(home.dir);
  if (fs.statSync(folder).dev === fs.statSync(homeBase).dev) return home;
  const top = mountTop(folder);
  const uid = process.getuid?.() ?? 0;
  const shared = path.join(top, '.Trash');
  try {
    const st = fs.lstatSync(shared);
    // The spec's conditions: a real folder (not a link) with the sticky bit.
    if (st.isDirectory() && (st.mode & 0o1000) !== 0) {
      const mine = path.join(shared, String(uid));
      if (usable(mine)) return { dir: mine, relativeTo: top };
    }
  } catch {
    /* no shared trash here */
  }
  const own = path.join(top, `.Trash-${uid}`);
  return usable(own) ? { dir: own, relativeTo: top } : undefined;
}

/** Creates the trash folder (mode 0700) if needed; a link or someone else's folder is refused. */
function usable(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') return false;
  }
  try {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid)) return false;
    fs.mkdirSync(path.join(dir, 'files'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(dir, 'info'), { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function nearestExisting(p: string): string {
  let dir = p;
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  return dir;
}

/** DeletionDate is local time, YYYY-MM-DDThh:mm:ss with no zone, as the spec asks. */
export function deletionDate(d: Date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * Moves `file` into `trash`; returns where it went. The .trashinfo name is reserved first with
 * O_EXCL, so two trashes of the same name at once each get their own, then its content is
 * written to a temporary file and renamed over it: a reader never sees half an entry.
 */
export function trashInto(file: string, trash: TrashDir, now: Date = new Date(), opened?: OpenedName): string {
  fs.mkdirSync(path.join(trash.dir, 'files'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(trash.dir, 'info'), { recursive: true, mode: 0o700 });
  const original = path.resolve(file);
  const { name, info } = reserve(trash.dir, path.basename(original));
  const shown = trash.relativeTo ? path.relative(trash.relativeTo, original) : original;
  const text = `[Trash Info]\nPath=${encodePath(shown)}\nDeletionDate=${deletionDate(now)}\n`;
  const temp = path.join(trash.dir, 'info', `.${name}.${process.pid}.tmp`);
  const dest = path.join(trash.dir, 'files', name);
  try {
    fs.writeFileSync(temp, text, { mode: 0o600 });
    fs.renameSync(temp, info);
    moveFile(opened?.from ?? original, dest, opened?.read);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    fs.rmSync(info, { force: true });
    throw err;
  }
  return dest;
}

function reserve(dir: string, base: string): { name: string; info: string } {
  for (let n = 1; ; n++) {
    // Its .trashinfo adds 10 bytes to the name, which must fit the file system's 255 too.
    const name = fitName(base, NAME_MAX_BYTES - '.trashinfo'.length, n === 1 ? '' : ` (${n})`);
    if (fs.existsSync(path.join(dir, 'files', name))) continue;
    const info = path.join(dir, 'info', `${name}.trashinfo`);
    try {
      fs.closeSync(fs.openSync(info, 'wx', 0o600));
      return { name, info };
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
    }
  }
}

/** Percent-encoded as a URL path: `/` kept, everything outside unreserved characters escaped. */
function encodePath(p: string): string {
  return p.split('/').map((part) => encodeURIComponent(part)).join('/');
}
