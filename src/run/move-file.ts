import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { copyKeepingHolesSync } from '../publish/sparse.js';

/** A rename, or a copy (holes of a sparse file kept) and a removal when the destination is on another file system. */
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
