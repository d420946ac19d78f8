import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { hashOpened, hashOpenedAsync, openFileUnder } from '../nofollow-files.js';

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

/**
 * sha256 of a dropped file, opened once without following a link at any step below its inbox
 * (`inboxes`: the folders watched for it): a file or a folder on the way swapped for a link
 * after the watcher saw it is refused (a ToolError saying what it was), never read.
 */
export async function hashDrop(file: string, inboxes: readonly string[]): Promise<string> {
  const opened = openFileUnder(file, inboxes);
  if (!opened) throw Object.assign(new Error(`${file} is gone`), { code: 'ENOENT' });
  try {
    return opened.st.size <= SMALL_FILE_BYTES ? hashOpened(opened).sha256 : await hashOpenedAsync(opened);
  } finally {
    opened.close();
  }
}

export function sha256Bytes(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
