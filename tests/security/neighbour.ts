/**
 * A second local account, for the tests of issue 18: someone who can write into a shared inbox
 * or outputs folder (a team share, a family machine) and swaps things for links. Commands run as
 * that account through `setpriv --reuid --regid --clear-groups`; the account is made with
 * useradd when it does not exist yet (the tests run as root, as CI does).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NAME = 'dropwork-neighbour';

export interface Neighbour {
  uid: number;
  gid: number;
  /** Runs a shell command as the neighbour and waits for it. */
  sh(command: string): string;
  /** Starts a shell command as the neighbour in the background (a swapper). */
  spawn(command: string): ChildProcess;
}

/** Whether the tests can have a second account here: root, with setpriv. */
export function canHaveNeighbour(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function neighbour(): Neighbour {
  let line = '';
  try {
    line = execFileSync('getent', ['passwd', NAME], { encoding: 'utf8' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', NAME], { stdio: 'ignore' });
    line = execFileSync('getent', ['passwd', NAME], { encoding: 'utf8' });
  }
  const [, , uid, gid] = line.trim().split(':');
  const ids = { uid: Number(uid), gid: Number(gid) };
  const args = (command: string): string[] => [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', 'sh', '-c', command];
  return {
    ...ids,
    sh: (command) => execFileSync('setpriv', args(command), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    spawn: (command) => spawn('setpriv', args(command), { stdio: 'ignore', detached: true }),
  };
}

/** Stops a background swapper and everything it started (its own process group). */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { resolve(); }
  });
}

export interface Stage {
  root: string;
  /** Folders the neighbour can write (0777, no sticky bit: a group share). */
  shared(rel: string): string;
  /** A folder only root can read, with a 0600 secret in it. */
  privateDir: string;
  secret: string;
  secretText: string;
  cleanup(): void;
}

/** A place with shared folders and a private one holding a secret the neighbour cannot read. */
export function stage(secretText = `SECRET ${Math.random().toString(36).slice(2)} of another account\n`): Stage {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-neighbour-'));
  fs.chmodSync(root, 0o755);
  const privateDir = path.join(root, 'private');
  fs.mkdirSync(privateDir, { mode: 0o700 });
  const secret = path.join(privateDir, 'secret.txt');
  fs.writeFileSync(secret, secretText, { mode: 0o600 });
  return {
    root, privateDir, secret, secretText,
    shared: (rel) => {
      const dir = path.join(root, rel);
      fs.mkdirSync(dir, { recursive: true });
      for (let at = dir; at !== root; at = path.dirname(at)) fs.chmodSync(at, 0o777);
      return dir;
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** Every regular file's content under `dir`, links never followed. */
export function contents(dir: string): string {
  let out = '';
  const walk = (at: string): void => {
    let names: fs.Dirent[] = [];
    try { names = fs.readdirSync(at, { withFileTypes: true }); } catch { return; }
    for (const e of names) {
      const p = path.join(at, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) try { out += fs.readFileSync(p, 'utf8'); } catch { /* gone */ }
    }
  };
  walk(dir);
  return out;
}
