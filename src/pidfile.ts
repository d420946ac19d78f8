import fs from 'node:fs';
import path from 'node:path';
import { UnrecoverableError } from './errors.js';

/** The pid of a live dropwork daemon for this home, or undefined. */
export function runningPid(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but someone else's; treat as running rather than start a twin.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** One daemon per home: two would both claim and run the same jobs' files. */
export function claimPidFile(pidFile: string): void {
  const other = runningPid(pidFile);
  if (other !== undefined && other !== process.pid) {
    throw new UnrecoverableError(`dropwork is already running for this home (pid ${other}); stop it first or use another DROPWORK_HOME`);
  }
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  fs.writeFileSync(pidFile, `${process.pid}\n`);
}

export function releasePidFile(pidFile: string): void {
  if (runningPid(pidFile) === process.pid) fs.rmSync(pidFile, { force: true });
}
