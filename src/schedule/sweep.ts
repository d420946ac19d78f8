import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Daemon } from '../daemon.js';
import type { Rule } from '../rules/rule.js';
import { listInbox } from '../watch/scan.js';
import type { ArrivedFile } from '../watch/watcher.js';
import { writersOf } from '../watch/writers.js';

export interface SweepResult {
  offered: number;
  /** Files still being written: left for the next firing. */
  unsettled: number;
}

/**
 * A scheduled rule with `watch:` looks at its inboxes only when it fires. What is there is
 * offered to the rule (the intake hashes it, and content the rule has already handled makes no
 * second job); a file whose size or time changes during the settle window, or that a process
 * holds open for writing, is still being written, and waits for the next firing rather than being read half-copied.
 */
export async function sweepInboxes(daemon: Daemon, rule: Rule): Promise<SweepResult> {
  // Outputs folders are swept like any folder: a rule's own results are known by content
  // (watch/decide.ts), so a scheduled rule may gather another rule's outputs.
  const first = new Map<string, fs.Stats>();
  for (const folder of rule.watch) {
    for (const file of listInbox(folder, rule.recursive, [])) {
      const st = lstat(file);
      if (st) first.set(file, st);
    }
  }
  const listedAt = Date.now();
  if (first.size > 0) await sleep(daemon.config.settle_ms);
  let offered = 0;
  let unsettled = 0;
  for (const [file, before] of first) {
    const now = lstat(file);
    if (!now) continue;
    // Unchanged but still held open by a writer (a download pausing): still being written too.
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || (now.isFile() && (await writersOf(file, listedAt)).length > 0)) {
      unsettled++;
      continue;
    }
    const arrived: ArrivedFile = { path: file, size: now.size, mtimeMs: now.mtimeMs, birthtimeMs: now.birthtimeMs };
    if (now.isSymbolicLink()) arrived.linkTarget = readlink(file);
    daemon.intake.offer(arrived, [rule]);
    offered++;
  }
  await daemon.intake.idle();
  return { offered, unsettled };
}

function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function readlink(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return '(unreadable)';
  }
}
