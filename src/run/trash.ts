import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fitName, NAME_MAX_BYTES } from '../publish/conflict.js';
import { homeTrash, trashFor, trashInto, type OpenedName } from './freedesktop-trash.js';
import { moveFile } from './move-file.js';

export interface TrashOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** The file as opened (never through a link): moved and read through this, not its name. */
  opened?: OpenedName;
}

/**
 * Puts a file in the desktop's trash so a person can still get it back: through Finder on
 * macOS, the freedesktop.org trash elsewhere. Returns where it went, in words for the history.
 */
export function moveToTrash(file: string, opts: TrashOptions = {}): string {
  const env = opts.env ?? process.env;
  if ((opts.platform ?? process.platform) === 'darwin') return macTrash(file, env);
  // A file system with no usable trash of its own (read-only top, someone else's .Trash-uid):
  // the spec allows the home trash, which then means a copy (trashInto moves with moveFile).
  return trashInto(file, trashFor(file, env) ?? homeTrash(env), new Date(), opts.opened);
}

/**
 * Finder's delete puts the file in the Trash with what Put Back needs (a plain move to ~/.Trash
 * does not). The path goes to osascript as an argument, never inside the script's text, so no
 * name can break out of the string. Without Finder (no GUI session, automation refused) the
 * file is moved to ~/.Trash by hand.
 */
function macTrash(file: string, env: NodeJS.ProcessEnv): string {
  const full = path.resolve(file);
  try {
    execFileSync('osascript', ['-e', 'on run argv', '-e', 'tell application "Finder" to delete (POSIX file (item 1 of argv) as alias)', '-e', 'end run', full], { env, timeout: 15_000, stdio: ['ignore', 'ignore', 'pipe'] });
    if (!fs.existsSync(full)) return 'the Trash, through Finder';
  } catch {
    /* no Finder here: the plain move below */
  }
  const home = env.HOME || os.homedir();
  let dest = path.join(home, '.Trash', fitName(path.basename(full)));
  for (let n = 1; fs.existsSync(dest); n++) dest = path.join(home, '.Trash', fitName(path.basename(full), NAME_MAX_BYTES, ` (${n})`));
  moveFile(full, dest);
  return dest;
}

export { moveFile };
