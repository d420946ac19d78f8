import { execFile } from 'node:child_process';

export interface Ran {
  /** Exit code; null when the command could not be run at all (see `missing`) or timed out. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command is not installed. */
  missing: boolean;
}

/** Runs a command without a shell and never throws: service managers fail in many ways, all reported. */
export function run(command: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: opts.timeoutMs ?? 15_000, env: opts.env ?? process.env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr, missing: false });
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      if (e.code === 'ENOENT') return resolve({ code: null, stdout, stderr, missing: true });
      resolve({ code: typeof e.code === 'number' ? e.code : null, stdout, stderr: stderr || e.message, missing: false });
    });
  });
}

/** The first line a failed command said, for a one-line explanation. */
export function said(r: Ran): string {
  if (r.missing) return 'not installed';
  return (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? `exit ${r.code}`;
}

/** systemctl and journalctl say this when there is no systemd user manager to talk to. */
export function noUserManager(r: Ran): boolean {
  return r.missing || /Failed to connect to bus|No medium found|XDG_RUNTIME_DIR|not been booted with systemd|Host is down/i.test(r.stderr);
}
