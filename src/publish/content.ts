/**
 * Content checks publishing and the original's check rely on, read in 1 MiB chunks so a file of
 * any size costs memory of one chunk: exactly-once must not stop at a size. Synchronous on
 * purpose: publishing is one synchronous stretch (see publish.ts), and these run only when sizes
 * already agree.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const CHUNK = 1 << 20;

/** What a job saw of a file: enough to tell later whether it is still that content. */
export interface ContentFacts {
  size: number;
  sha256: string;
}

/** sha256 of the first `length` bytes of a file (all of it by default). */
export function sha256Prefix(file: string, length = Infinity): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let at = 0;
    while (at < length) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, length - at), at);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      at += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function factsOf(file: string): ContentFacts {
  return { size: fs.statSync(file).size, sha256: sha256Prefix(file) };
}

/** Whether `file` starts with exactly the content `facts` describe. */
export function startsWith(file: string, facts: ContentFacts): boolean {
  try {
    if (fs.statSync(file).size < facts.size) return false;
    return sha256Prefix(file, facts.size) === facts.sha256;
  } catch {
    return false;
  }
}

/** Whether `file` is exactly the content `facts` describe (a missing file is not). */
export function isContent(file: string, facts: ContentFacts): boolean {
  try {
    return fs.statSync(file).size === facts.size && sha256Prefix(file) === facts.sha256;
  } catch {
    return false;
  }
}

/** Byte-for-byte equality: sizes first, the same inode, then chunk by chunk up to the first difference. */
export function sameContent(a: string, b: string): boolean {
  let fa: number | undefined;
  let fb: number | undefined;
  try {
    const [sa, sb] = [fs.statSync(a), fs.statSync(b)];
    if (sa.size !== sb.size) return false;
    if (sa.ino === sb.ino && sa.dev === sb.dev) return true;
    fa = fs.openSync(a, 'r');
    fb = fs.openSync(b, 'r');
    const [ba, bb] = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    for (let at = 0; ; ) {
      const n = fs.readSync(fa, ba, 0, CHUNK, at);
      const m = fs.readSync(fb, bb, 0, CHUNK, at);
      if (n !== m) return false;
      if (n === 0) return true;
      if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
      at += n;
    }
  } catch {
    return false;
  } finally {
    if (fa !== undefined) fs.closeSync(fa);
    if (fb !== undefined) fs.closeSync(fb);
  }
}
