import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { fitName, NAME_MAX_BYTES } from '../publish/conflict.js';
import { copyKeepingHolesSync } from '../publish/sparse.js';

/**
 * Puts a file in the desktop's trash so a person can still get it back: ~/.Trash on macOS, the
 * freedesktop.org trash (files/ + info/*.trashinfo) elsewhere.
 */
export function moveToTrash(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || os.homedir();
  if (process.platform === 'darwin') {
    const dest = freeName(path.join(home, '.Trash'), path.basename(file), NAME_MAX_BYTES);
    moveFile(file, dest);
    return dest;
  }
  const trash = path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'Trash');
  fs.mkdirSync(path.join(trash, 'files'), { recursive: true });
  fs.mkdirSync(path.join(trash, 'info'), { recursive: true });
  // Its .trashinfo adds 10 bytes to the name, which must fit too.
  const dest = freeName(path.join(trash, 'files'), path.basename(file), NAME_MAX_BYTES - '.trashinfo'.length);
  const info = `[Trash Info]\nPath=${encodeURI(path.resolve(file))}\nDeletionDate=${new Date().toISOString().slice(0, 19)}\n`;
  fs.writeFileSync(path.join(trash, 'info', `${path.basename(dest)}.trashinfo`), info);
  moveFile(file, dest);
  return dest;
}

/** `name`, or "name (1)", "name (2)"…, whichever is free in `folder`, shortened to `maxBytes`. */
function freeName(folder: string, name: string, maxBytes: number): string {
  for (let i = 0; ; i++) {
    const candidate = path.join(folder, fitName(name, maxBytes, i === 0 ? '' : ` (${i})`));
    if (!fs.existsSync(candidate)) return candidate;
  }
}

export function moveFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw err;
    copyKeepingHolesSync(from, to);
    fs.rmSync(from);
  }
}
