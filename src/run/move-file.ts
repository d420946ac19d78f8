import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';

/** A rename, or a copy and a removal when the destination is on another file system. */
export function moveFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw err;
    fs.copyFileSync(from, to);
    fs.rmSync(from);
  }
}
