import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../commands/shared.js';
import { loadConfig } from '../config.js';
import type { Paths } from '../paths.js';
import { credentialsFile } from './credentials.js';

export type ServicePlatform = 'systemd' | 'launchd';

/** The name systemd knows the service by, and the launchd label. */
export const UNIT_NAME = 'dropwork.service';
export const LAUNCHD_LABEL = 'com.dropwork.daemon';

/**
 * Variables the service gets from the shell that installs it, so that it finds the same home
 * and settings. Credentials are not among them: they live in credentials.env (mode 0600). PATH
 * is not either: the shell's would freeze whatever that one shell had (tool folders of the day,
 * duplicates); the service gets servicePath() instead.
 */
const PASSED_ON = ['DROPWORK_HOME', 'DROPWORK_FILES', 'DROPWORK_PORT', 'DROPWORK_NOTIFY', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME'] as const;

/** The system's own folders of commands (docker, bwrap, notify-send, osascript live there). */
const SYSTEM_PATH: Record<ServicePlatform, string[]> = {
  systemd: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
  launchd: ['/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'],
};

/** The service's PATH: the folder of the node that runs it (its npm, for a rebuild), then the system's; each once. */
export function servicePath(node: string, platform: ServicePlatform): string {
  return [...new Set([path.dirname(node), ...SYSTEM_PATH[platform]])].join(':');
}

/** Everything the unit or plist says, worked out once from this process. */
export interface ServicePlan {
  platform: ServicePlatform;
  /** The node running this install, and this dropwork's own entry point: absolute paths. */
  node: string;
  script: string;
  paths: Paths;
  envFile: string;
  /** Environment for the daemon (no secrets). */
  env: Record<string, string>;
  /** How long the service manager waits on stop: the daemon's grace period plus a margin. */
  stopTimeoutS: number;
  /** Where the unit or plist goes. */
  file: string;
}

export function defaultPlatform(platform: NodeJS.Platform = process.platform): ServicePlatform | undefined {
  if (platform === 'darwin') return 'launchd';
  if (platform === 'linux') return 'systemd';
  return undefined;
}

export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || os.homedir();
}

export function serviceFile(platform: ServicePlatform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'launchd') return path.join(userHome(env), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  const config = env.XDG_CONFIG_HOME || path.join(userHome(env), '.config');
  return path.join(config, 'systemd', 'user', UNIT_NAME);
}

export function makePlan(platform: ServicePlatform, paths: Paths, env: NodeJS.ProcessEnv = process.env): ServicePlan {
  // The daemon's stderr goes to the journal or a launchd file: each line to its own log only.
  const passed: Record<string, string> = { DROPWORK_SERVICE: '1' };
  for (const name of PASSED_ON) {
    const value = env[name];
    if (value) passed[name] = name === 'DROPWORK_HOME' ? paths.home : name === 'DROPWORK_FILES' ? paths.files : value;
  }
  passed.PATH = servicePath(process.execPath, platform);
  const grace = loadConfig(paths.configFile, env).config.shutdown_grace_s;
  return {
    platform,
    node: process.execPath,
    script: fs.realpathSync(path.join(PACKAGE_ROOT, 'bin', 'dropwork.js')),
    paths,
    envFile: credentialsFile(paths.home),
    env: passed,
    stopTimeoutS: Math.ceil(grace) + 15,
    file: serviceFile(platform, env),
  };
}

/** Reads a template from the top-level service/ folder and fills its {{PLACEHOLDERS}}. */
export function fillTemplate(name: string, values: Record<string, string>): string {
  const text = fs.readFileSync(path.join(PACKAGE_ROOT, 'service', name), 'utf8');
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`service/${name} uses {{${key}}}, which dropwork does not fill`);
    return v;
  });
}
