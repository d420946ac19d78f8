import os from 'node:os';
import path from 'node:path';

/** Where dropwork keeps its things on this machine. */
export interface Paths {
  /** Settings, rules and credentials. */
  home: string;
  /**
   * The files folder: relative `watch:`, `output:`, `input:` and `after: {move}` of rules
   * resolve from here, so the inboxes and outputs a person drops into and reads are in plain
   * sight (`~/dropwork`), not inside a hidden settings folder.
   */
  files: string;
  configFile: string;
  rulesDir: string;
  /** The history database, logs and job workspaces. */
  dataDir: string;
  dbFile: string;
  logsDir: string;
  /** One folder per running job: staged outputs and the agent's workspace. */
  jobsDir: string;
  pidFile: string;
}

/**
 * DROPWORK_HOME puts everything in one folder (what tests and the service use). Without it the
 * platform's usual places: XDG config and data folders on Linux, Application Support on macOS.
 * The files folder is DROPWORK_FILES when set; else the home when DROPWORK_HOME is set (one
 * folder holds it all, as a test home or a portable setup expects); else `~/dropwork`.
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Paths {
  const userHome = env.HOME || os.homedir();
  let home: string;
  let dataDir: string;
  if (env.DROPWORK_HOME) {
    home = path.resolve(expandHome(env.DROPWORK_HOME, userHome));
    dataDir = home;
  } else if (platform === 'darwin') {
    home = path.join(userHome, 'Library', 'Application Support', 'dropwork');
    dataDir = home;
  } else if (platform === 'win32') {
    home = path.join(env.APPDATA || path.join(userHome, 'AppData', 'Roaming'), 'dropwork');
    dataDir = home;
  } else {
    home = path.join(env.XDG_CONFIG_HOME || path.join(userHome, '.config'), 'dropwork');
    dataDir = path.join(env.XDG_DATA_HOME || path.join(userHome, '.local', 'share'), 'dropwork');
  }
  const files = env.DROPWORK_FILES
    ? path.resolve(expandHome(env.DROPWORK_FILES, userHome))
    : env.DROPWORK_HOME ? home : path.join(userHome, 'dropwork');
  return {
    home,
    files,
    configFile: path.join(home, 'config.yaml'),
    rulesDir: path.join(home, 'rules'),
    dataDir,
    dbFile: path.join(dataDir, 'dropwork.db'),
    logsDir: path.join(dataDir, 'logs'),
    jobsDir: path.join(dataDir, 'jobs'),
    pidFile: path.join(dataDir, 'dropwork.pid'),
  };
}

export function expandHome(p: string, userHome: string = process.env.HOME || os.homedir()): string {
  if (p === '~') return userHome;
  if (p.startsWith('~/')) return path.join(userHome, p.slice(2));
  return p;
}

/** A folder named in a rule or in config.yaml, as an absolute path. */
export function resolveFolder(p: string, home: string): string {
  return path.resolve(home, expandHome(p));
}
