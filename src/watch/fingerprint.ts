import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** sha256 of a file's content, streamed so a 1 GB scan never sits in memory. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * sha256 of a small file, read in one synchronous call. A burst of small drops then costs one
 * event-loop turn per file instead of four (open, read, read, close), so queueing them does not
 * slow to the pace of the jobs that share the loop (scripts/bench/pipeline.mjs).
 */
export function sha256SmallFile(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Files up to this size are hashed with sha256SmallFile. */
export const SMALL_FILE_BYTES = 64 * 1024;

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
