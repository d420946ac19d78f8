/**
 * Issue 18's enforcement: the rooms of src/ that touch places someone else can write (inboxes,
 * outputs folders, a job's output/ the sandbox wrote, the trash, revert's paths, the files the
 * dashboard serves) reach them through the no-follow modules (src/nofollow.ts,
 * src/nofollow-files.ts), never with node:fs functions that take a path. A file here that calls
 * one is either listed below, with the functions it may call and why that is safe, or this test
 * fails: the next feature cannot slip back to opening a shared place by name.
 *
 * The rooms, and why:
 *   watch/    the inboxes: watcher, sweeps, intake hashing and packing a drop;
 *   run/      the original (copy, check, after: move / trash), the job's folder;
 *   publish/  the outputs folders (publishing, appends onto a ledger);
 *   undo/     revert writes back into outputs and inboxes;
 *   program/  the compile job's output/, replay's output/, examples copied from inbox and outputs;
 *   team/     files travelling between hosts land in the job's folder;
 *   agent/workspace/ and agent/condition-content.ts: copies of the drop and of the outputs
 *             folder for the model, what the condition model sees;
 *   schedule/sweep.ts  scheduled sweeps of an inbox;
 *   web/api/files.ts   the dashboard's file endpoint.
 * Fd-based calls (fstat, read, write, ftruncate, close on a descriptor that was opened without
 * following) are always allowed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'src');
const ROOMS = ['watch', 'run', 'publish', 'undo', 'program', 'team', 'agent/workspace', 'agent/condition-content.ts', 'schedule/sweep.ts', 'web/api/files.ts'];

/** node:fs functions that take a path (sync, callback and promises forms share these names). */
const PATH_FUNCTIONS = new Set([
  'access', 'accessSync', 'appendFile', 'appendFileSync', 'chmod', 'chmodSync', 'chown', 'chownSync', 'copyFile', 'copyFileSync',
  'cp', 'cpSync', 'createReadStream', 'createWriteStream', 'exists', 'existsSync', 'lchown', 'lchownSync', 'link', 'linkSync',
  'lstat', 'lstatSync', 'lutimes', 'lutimesSync', 'mkdir', 'mkdirSync', 'mkdtemp', 'mkdtempSync', 'open', 'openSync', 'opendir',
  'opendirSync', 'readdir', 'readdirSync', 'readFile', 'readFileSync', 'readlink', 'readlinkSync', 'realpath', 'realpathSync',
  'rename', 'renameSync', 'rm', 'rmSync', 'rmdir', 'rmdirSync', 'stat', 'statSync', 'symlink', 'symlinkSync', 'truncate',
  'truncateSync', 'unlink', 'unlinkSync', 'utimes', 'utimesSync', 'watch', 'watchFile', 'writeFile', 'writeFileSync',
]);

const OWN = "dropwork's own folders only (the data folder: jobs/<id>, examples/, undo blobs, the trash it made 0700), which no other account can write";
const HELD = 'only on paths of folders opened without following (Folder.at(name)) or of files opened so (/proc/self/fd/N): relative to what was opened, never a shared name';

/** File (relative to src/) → the path functions it may call, and why. */
const ALLOWED: Record<string, { fns: string[]; why: string }> = {
  'agent/condition-content.ts': { fns: ['existsSync', 'readFileSync', 'readdirSync'], why: 'reads `readFrom`, the original as the caller opened it (hooks.ts: openOriginal); the scheduled input folder\'s names only' },
  'agent/workspace/copy.ts': { fns: ['mkdirSync', 'readdirSync', 'statSync', 'utimesSync'], why: `readdir of held folders; the rest on the copy in the job's folder: ${OWN}` },
  'agent/workspace/outputs.ts': { fns: ['existsSync', 'lchownSync', 'lstatSync', 'statSync'], why: 'the job\'s staging (after the sandbox closed) and the outputs folder\'s owner (stat of the folder itself, the person\'s choice)' },
  'agent/workspace/workspace.ts': { fns: ['chmodSync', 'mkdirSync'], why: OWN },
  'program/compile.ts': { fns: ['cpSync', 'mkdirSync', 'rmSync'], why: `examples into the workspace's input/, and emptying output/ after the sandbox closed: ${OWN}` },
  'program/examples.ts': { fns: ['copyFileSync', 'mkdirSync', 'openSync', 'readFileSync', 'renameSync', 'rmSync', 'writeFileSync'], why: `reads the inbox and outputs through openShared (openFileUnder); writes ${OWN}` },
  'program/prompt.ts': { fns: ['readFileSync'], why: OWN },
  'program/replay.ts': { fns: ['chmodSync', 'copyFileSync', 'mkdirSync', 'readFileSync', 'rmSync', 'writeFileSync'], why: `the examples and the replay workspace before the program runs; what it wrote is read with readFileIn: ${OWN}` },
  'program/runner.ts': { fns: ['existsSync', 'mkdirSync', 'rmSync'], why: `the job's folder; existsSync of an output only to name its shape (no content read): ${OWN}` },
  'program/trigger.ts': { fns: ['rmSync', 'statSync'], why: 'the rule file (dropwork\'s rules/) and pruned examples (data folder)' },
  'publish/conflict.ts': { fns: ['existsSync'], why: 'nextFreeName for callers outside the outputs folders; publishing itself numbers names in its held folder' },
  'publish/content.ts': { fns: ['openSync', 'statSync'], why: 'hashes paths its callers opened without following (/proc/self/fd/N) or staged in the job\'s folder' },
  'publish/lock.ts': { fns: ['mkdirSync'], why: OWN },
  'publish/publish.ts': { fns: ['copyFileSync', 'linkSync', 'openSync', 'renameSync', 'rmSync', 'statSync'], why: `${HELD}; statSync of the staged source (job's folder); rmSync in removeLeftoverTemps of dropwork's exact temporary names at start (links not descended)` },
  'publish/real-folders.ts': { fns: ['lstatSync'], why: 'looks (lstat, never follows) to say which step of an output\'s folder is a link, after openFolder refused it' },
  'publish/sparse.ts': { fns: ['copyFile', 'copyFileSync', 'stat', 'statSync'], why: 'copies paths its callers opened without following (/proc/self/fd/N) into the job\'s folder or a held folder' },
  'run/after.ts': { fns: ['copyFileSync', 'existsSync', 'renameSync', 'rmSync'], why: `${HELD}; existsSync of the trash entry it just made` },
  'run/approval.ts': { fns: ['existsSync'], why: OWN },
  'run/control.ts': { fns: ['rmSync'], why: OWN },
  'run/execute.ts': { fns: ['statSync'], why: 'the size for max_file_mb only; the file is opened without following by the runner' },
  'run/freedesktop-trash.ts': { fns: ['accessSync', 'existsSync', 'lstatSync', 'mkdirSync', 'openSync', 'renameSync', 'rmSync', 'statSync', 'writeFileSync'], why: `the trash (${OWN}); the original is moved as its held folder's entry (OpenedName)` },
  'run/job-folder.ts': { fns: ['existsSync', 'mkdir', 'rm', 'rmdir'], why: OWN },
  'run/move-file.ts': { fns: ['mkdirSync', 'renameSync', 'rmSync'], why: 'moves the held entry its caller passes (OpenedName), reading the opened file' },
  'run/produced.ts': { fns: ['stat'], why: OWN },
  'run/steps.ts': { fns: ['linkSync'], why: OWN },
  'run/trash.ts': { fns: ['existsSync'], why: 'macOS Finder\'s trash: the weaker fallback of nofollow.ts there' },
  'schedule/sweep.ts': { fns: ['lstatSync', 'readlinkSync'], why: 'what an entry is, never its content: the files are opened by hashDrop without following' },
  'team/travel.ts': { fns: ['mkdirSync', 'rmSync', 'writeFileSync'], why: `a travelled file is written into the job's folder: ${OWN}` },
  'undo/apply.ts': { fns: ['copyFileSync', 'linkSync', 'openSync', 'renameSync', 'rmSync'], why: `${HELD}; blobs from the data folder` },
  'undo/folders.ts': { fns: ['lstatSync', 'rmdirSync'], why: `lstat reads only the birth time and kind of the folders above a removed file (the last step never followed, a young link stops the walk); rmdir is ${HELD}, and rmdir never follows a link (ENOTDIR)` },
  'undo/seal.ts': { fns: ['mkdirSync', 'readFileSync', 'writeFileSync'], why: `the key that marks this host's undo records: ${OWN}` },
  'undo/blobs.ts': { fns: ['copyFileSync', 'existsSync', 'mkdirSync', 'renameSync', 'rmSync', 'statSync'], why: `blobs: ${OWN}; keep() copies a file publishing opened without following` },
  'undo/journal.ts': { fns: ['lstatSync'], why: 'keepBefore without readFrom: publishing always passes the opened file' },
  'undo/retention.ts': { fns: ['readdirSync', 'rmSync', 'statSync'], why: OWN },
  'watch/fingerprint.ts': { fns: ['createReadStream', 'readFileSync'], why: 'sha256File for a copy in the job\'s folder or a file named on the command line; drops are hashed by hashDrop' },
  'watch/folders.ts': { fns: ['existsSync'], why: 'whether an inbox itself exists (the person\'s folder)' },
  'watch/inboxes.ts': { fns: ['existsSync', 'lstatSync', 'mkdirSync'], why: 'inboxes themselves, and the kind of an entry (no content); files are settled by the watcher and hashed by hashDrop' },
  'watch/scan.ts': { fns: ['readdirSync'], why: 'names for sweeps; each entry is checked below the inbox by the watcher (lstatBelow) before it counts' },
  'watch/watcher.ts': { fns: ['lstatSync', 'readlinkSync'], why: 'lstat of an entry right in the inbox (the last step is not followed; deeper ones go through entryStat); the text of a link reported as a link' },
  'watch/writers.ts': { fns: ['readFileSync', 'readdirSync', 'readlinkSync'], why: '/proc only: which processes hold a file open' },
  'web/api/files.ts': { fns: ['createReadStream', 'realpathSync'], why: 'realpath to judge a request; the file sent is opened from / with no link followed and streamed from its descriptor' },
};

function filesOfRooms(): string[] {
  const out: string[] = [];
  for (const room of ROOMS) {
    const full = path.join(SRC, room);
    if (room.endsWith('.ts')) out.push(room);
    else for (const f of fs.readdirSync(full, { recursive: true }) as string[]) if (f.endsWith('.ts')) out.push(path.join(room, f));
  }
  return out.sort();
}

/** The node:fs path functions a source file calls: `fs.x(`, `fs.promises.x(`, and named imports. */
function pathCalls(source: string): Set<string> {
  const found = new Set<string>();
  const imports = [...source.matchAll(/import\s+(?:(\w+)|\{([^}]*)\}|\*\s+as\s+(\w+))\s+from\s+'node:fs(?:\/promises)?'/g)];
  const names = new Set(['fs']);
  for (const m of imports) {
    if (m[1]) names.add(m[1]);
    if (m[3]) names.add(m[3]);
    for (const part of (m[2] ?? '').split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0]?.replace(/^type\s+/, '') ?? '';
      if (PATH_FUNCTIONS.has(name)) found.add(name);
    }
  }
  for (const n of names) for (const m of source.matchAll(new RegExp(`\\b${n}(?:\\.promises)?\\.(\\w+)\\(`, 'g'))) if (PATH_FUNCTIONS.has(m[1] as string)) found.add(m[1] as string);
  return found;
}

describe('rooms that touch places others can write use the no-follow modules', () => {
  it('no node:fs path function outside the allow-list, and every allowance still needed', () => {
    const problems: string[] = [];
    for (const file of filesOfRooms()) {
      const calls = pathCalls(fs.readFileSync(path.join(SRC, file), 'utf8'));
      const allowed = new Set(ALLOWED[file]?.fns ?? []);
      for (const fn of calls) if (!allowed.has(fn)) problems.push(`${file} calls fs.${fn} with a path: open it through src/nofollow.ts / src/nofollow-files.ts, or add it to ALLOWED with why it is safe`);
      for (const fn of allowed) if (!calls.has(fn)) problems.push(`${file}: fs.${fn} is allowed but no longer called; take it off the list`);
    }
    expect(problems).toEqual([]);
  });

  it('sees the calls it is meant to see', () => {
    expect([...pathCalls("import fs from 'node:fs';\nfs.readFileSync(x); fs.promises.readdir(y); fs.fstatSync(fd);")].sort()).toEqual(['readFileSync', 'readdir']);
    expect([...pathCalls("import { openSync, fstatSync } from 'node:fs';")]).toEqual(['openSync']);
    expect([...pathCalls("import fsp from 'node:fs/promises';\nawait fsp.rm(p);")]).toEqual(['rm']);
  });
});
