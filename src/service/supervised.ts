import fs from 'node:fs';
import { LAUNCHD_LABEL } from './plan.js';

/** Set by the unit and the plist that `dropwork service install` writes. */
export const SERVICE_MARK = 'DROPWORK_SERVICE';

/**
 * Whether this process runs under systemd or launchd, whose stderr is kept by the service
 * manager (the journal, launchd's StandardErrorPath): the daemon then writes each line to its
 * own log file only, not a second time to stderr. Besides our own mark: systemd's
 * JOURNAL_STREAM when it names the stderr we really have (a shell started from a service
 * inherits the variable with another stderr), and launchd's XPC_SERVICE_NAME for our label.
 */
export function underServiceManager(env: NodeJS.ProcessEnv = process.env, stderrFd = 2): boolean {
  if (env[SERVICE_MARK] === '1') return true;
  if (env.XPC_SERVICE_NAME === LAUNCHD_LABEL) return true;
  const journal = env.JOURNAL_STREAM?.match(/^(\d+):(\d+)$/);
  if (!journal) return false;
  try {
    const st = fs.fstatSync(stderrFd);
    return String(st.dev) === journal[1] && String(st.ino) === journal[2];
  } catch {
    return false;
  }
}
