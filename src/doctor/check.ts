import type { Config } from '../config.js';
import type { ConfigError } from '../errors.js';
import type { Paths } from '../paths.js';
import type { RuleSet } from '../rules/registry.js';

/** `warn` is shown but does not fail the doctor: dropwork works, in a lesser way. */
export type Verdict = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  status: Verdict;
  /** What was found, in one line. */
  summary: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

/** What every check may look at; built once per `dropwork doctor`. */
export interface DoctorContext {
  paths: Paths;
  config: Config;
  configErrors: ConfigError[];
  rules: RuleSet;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** The kernel's inotify limit (a file so that tests can point it elsewhere). @default /proc/sys/fs/inotify/max_user_watches */
  inotifyLimitFile: string;
}

export interface Check {
  id: string;
  title: string;
  /** Whether the check means anything on this setup (a team's database, say); left out if not. @default always */
  applies?(ctx: DoctorContext): boolean;
  run(ctx: DoctorContext): CheckResult | Promise<CheckResult>;
}

export const pass = (summary: string): CheckResult => ({ status: 'pass', summary });
export const warn = (summary: string, fix: string): CheckResult => ({ status: 'warn', summary, fix });
export const fail = (summary: string, fix: string): CheckResult => ({ status: 'fail', summary, fix });

/** Rules that need the model: plain-English tasks and conditions. */
/** Said by the checks a host that only collects files does not need (a team's laptop). */
export const ONLY_COLLECTS = 'not needed here: this host only collects files (role: collect); the hosts that run jobs need it';

export function agentRules(ctx: DoctorContext): string[] {
  return ctx.rules.list().filter((r) => r.do !== undefined || r.if !== undefined).map((r) => r.name);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
