import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { copyKeepingHolesSync } from '../publish/sparse.js';

/**
 * A rename, or a copy (holes of a sparse file kept) and a removal when the destination is on
 * another file system. `readFrom`: the file as opened (nofollow-files.ts), copied instead of
 * the name `from`, which a link may have taken by then.
 */
export function moveFile(from: string, to: string, readFrom = from): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw err;
    copyKeepingHolesSync(readFrom, to);
    fs.rmSync(from);
  }
}
