import fs from 'node:fs';
import path from 'node:path';
import { UnrecoverableError } from './errors.js';

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive but someone else's; treat as running rather than start a twin.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live dropwork daemon for this home, or undefined. */
export function runningPid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && alive(pid) ? pid : undefined;
}

function alreadyRunning(pid: number): UnrecoverableError {
  return new UnrecoverableError(`dropwork is already running for this home (pid ${pid}); stop it first or use another DROPWORK_HOME`);
}

/** A takeover lock left by a process that died inside it is this old at most. */
const STALE_LOCK_MS = 10_000;

/**
 * One daemon per home: two would both claim and run the same jobs' files. The pid file is
 * made by link(2) from a file that already holds our pid, so it appears whole and only one of
 * two racing starts can create it (EEXIST for the other). A pid file whose process is dead is
 * removed under a lock made with O_EXCL, after reading it again inside the lock: two starts
 * that both found the same stale file cannot remove each other's fresh one.
 */
export function claimPidFile(pidFile: string): void {
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  const mine = `${pidFile}.${process.pid}.tmp`;
  fs.writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let tries = 0; ; tries++) {
      try {
        fs.linkSync(mine, pidFile);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 50) throw err;
      }
      const other = readPid(pidFile);
      if (other === process.pid) return;
      if (other !== undefined && alive(other)) throw alreadyRunning(other);
      removeIfStale(pidFile);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

function removeIfStale(pidFile: string): void {
  const lock = `${pidFile}.lock`;
  let fd: number;
  try {
    fd = fs.openSync(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Someone else is taking over; if they died doing it, their lock goes after a while.
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS) fs.rmSync(lock, { force: true });
    } catch {
      /* gone already */
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    return;
  }
  try {
    const pid = readPid(pidFile);
    if (pid === undefined || !alive(pid)) fs.rmSync(pidFile, { force: true });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}

export function releasePidFile(pidFile: string): void {
  if (runningPid(pidFile) === process.pid) fs.rmSync(pidFile, { force: true });
}
