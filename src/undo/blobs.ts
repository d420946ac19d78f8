import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { factsOf } from '../publish/content.js';
import { hashOpened, openFilePath } from '../nofollow-files.js';

/**
 * Earlier versions of files that jobs replaced, kept by content under the data folder
 * (undo/blobs/ab/abcdef…): the same version replaced twice is kept once.
 */
export class Blobs {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  /**
   * Keeps a copy of `file` as it is now and returns its hash. Copied, never hard-linked: a later
   * append to the file would change a linked copy too. Written under a temporary name and
   * renamed, so a crash never leaves a blob whose name lies about its content.
   */
  keep(file: string): { sha256: string; size: number } {
    fs.mkdirSync(this.dir, { recursive: true });
    const temp = path.join(this.dir, `.keep-${randomBytes(6).toString('hex')}`);
    try {
      fs.copyFileSync(file, temp, fs.constants.COPYFILE_FICLONE);
      const { sha256, size } = factsOf(temp);
      const dest = this.pathOf(sha256);
      if (fs.existsSync(dest)) return { sha256, size };
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.renameSync(temp, dest);
      return { sha256, size };
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }

  remove(sha256: string): number {
    const p = this.pathOf(sha256);
    try {
      const { size } = fs.statSync(p);
      fs.rmSync(p);
      return size;
    } catch {
      return 0;
    }
  }
}

/**
 * The file's sha256 and size, or undefined when there is no regular file there. Reached from `/`
 * without following another account's link at any step, as revert writes (apply.ts).
 */
export function stateOf(file: string): { sha256: string; size: number } | undefined {
  try {
    const f = openFilePath(file, { links: 'own' });
    if (!f) return undefined;
    try {
      return hashOpened(f);
    } finally {
      f.close();
    }
  } catch {
    return undefined;
  }
}
