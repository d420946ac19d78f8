import fs from 'node:fs';
import path from 'node:path';
import { CliError, paths, printJson } from '../commands/shared.js';
import type { Paths } from '../paths.js';
import { runningPid } from '../pidfile.js';
import { setUpCredentials } from './credentials.js';
import { launchd, launchdLogs } from './launchd.js';
import type { ManagerState, ServiceManager } from './manager.js';
import { defaultPlatform, makePlan, type ServicePlan, type ServicePlatform } from './plan.js';
import { systemd, systemdStartAdvice } from './systemd.js';
import { followLog, printLogs } from './logs.js';

export interface ServiceOptions {
  platform?: string;
  /** commander's `--no-start` sets this to false. */
  start?: boolean;
  json?: boolean;
}

const MANAGERS: Record<ServicePlatform, ServiceManager> = { systemd, launchd };

export function managerFor(platform: string | undefined): ServiceManager {
  const chosen = platform ?? defaultPlatform();
  if (!chosen) throw new CliError(`dropwork can run as a service with systemd (Linux) or launchd (macOS); on ${process.platform}, run \`dropwork start\` from your login instead`);
  if (chosen !== 'systemd' && chosen !== 'launchd') throw new CliError(`--platform must be systemd or launchd, not "${chosen}"`);
  return MANAGERS[chosen];
}

/** "To start it: COMMAND", or, where the service manager cannot work, why and what instead. */
function startAdvice(plan: ServicePlan): string {
  return plan.platform === 'systemd' ? systemdStartAdvice() : `To start it: launchctl bootstrap gui/${process.getuid?.() ?? 501} ${plan.file}`;
}

const say = (line: string): void => void process.stdout.write(line + '\n');

export async function install(opts: ServiceOptions): Promise<number> {
  const manager = managerFor(opts.platform);
  const p = paths();
  // Only the logs folder: a home without rules/ gets the example rules at the service's first start.
  fs.mkdirSync(p.logsDir, { recursive: true });
  const plan = makePlan(manager.platform, p);
  const creds = setUpCredentials(p.home);
  const text = manager.render(plan);
  const unchanged = fs.existsSync(plan.file) && fs.readFileSync(plan.file, 'utf8') === text;
  fs.mkdirSync(path.dirname(plan.file), { recursive: true });
  fs.writeFileSync(plan.file, text, { mode: 0o644 });
  say(`${unchanged ? 'Already installed, unchanged' : 'Wrote'}: ${plan.file}`);
  say(`  runs: ${plan.node} ${plan.script} start`);
  say(`  home: ${p.home}`);
  say(`  credentials: ${creds.file} (mode 0600${creds.created ? ', created' : ''})`);
  if (creds.copied.length) say(`    copied ${creds.copied.join(', ')} from this shell's environment into it`);
  if (creds.madePrivate) say('    it was readable by other users; it is now private to you');
  if (opts.start === false) {
    say(`Not started (--no-start). ${startAdvice(plan)}`);
    return 0;
  }
  const other = runningPid(p.pidFile);
  if (other !== undefined) {
    say(`Not started: dropwork already runs for this home (pid ${other}), outside the service. Stop it first. ${startAdvice(plan)}`);
    return 1;
  }
  const started = await manager.start(plan);
  if (started.ok) {
    say(`Started: ${started.detail}. Its log: dropwork service logs`);
    return 0;
  }
  say(`Could not start it: ${started.why}.`);
  say(`  The ${manager.platform === 'systemd' ? 'unit' : 'plist'} is written; ${started.how}.`);
  say('  Meanwhile, dropwork runs in a terminal with: dropwork start');
  return 1;
}

export async function uninstall(opts: ServiceOptions): Promise<number> {
  const manager = managerFor(opts.platform);
  const p = paths();
  const plan = makePlan(manager.platform, p);
  if (!fs.existsSync(plan.file)) {
    say(`Not installed: there is no ${plan.file}`);
    return 0;
  }
  const stopped = await manager.stop(plan);
  say(stopped.ok ? `Service ${stopped.detail}.` : `Could not stop it through ${manager.platform}: ${stopped.why}.`);
  fs.rmSync(plan.file);
  say(`Removed: ${plan.file}`);
  say(`Kept: ${plan.envFile} and ${p.logsDir} (yours; delete them by hand if you want)`);
  return 0;
}

export interface ServiceStatus {
  platform: ServicePlatform;
  file: string;
  installed: boolean;
  /** The file is what `install` would write now (same node, same dropwork, same home). */
  current: boolean;
  manager: ManagerState;
  daemon: { running: boolean; pid: number | null };
}

export async function serviceStatus(platform: string | undefined, p: Paths = paths()): Promise<ServiceStatus> {
  const manager = managerFor(platform);
  const plan = makePlan(manager.platform, p);
  const installed = fs.existsSync(plan.file);
  const current = installed && fs.readFileSync(plan.file, 'utf8') === manager.render(plan);
  const pid = runningPid(p.pidFile) ?? null;
  return { platform: manager.platform, file: plan.file, installed, current, manager: await manager.state(plan), daemon: { running: pid !== null, pid } };
}

export async function status(opts: ServiceOptions): Promise<number> {
  const s = await serviceStatus(opts.platform);
  if (opts.json) {
    printJson(s);
    return 0;
  }
  say(`${s.platform}: ${s.installed ? `installed at ${s.file}` : `not installed (dropwork service install)`}`);
  if (s.installed && !s.current) say('  it was written by another node, dropwork or home: install again to update it');
  say(`  service manager: ${s.manager.detail}`);
  say(`  daemon for this home: ${s.daemon.running ? `running (pid ${s.daemon.pid})` : 'not running'}`);
  return 0;
}

export async function logs(opts: ServiceOptions & { lines?: string; follow?: boolean }): Promise<number> {
  const manager = managerFor(opts.platform);
  const p = paths();
  const n = Number(opts.lines ?? 50);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--lines must be a positive number, not "${opts.lines}"`);
  const extra = manager.platform === 'launchd' ? Object.values(launchdLogs(makePlan('launchd', p))) : [];
  await printLogs(p, manager, extra, n, (s) => process.stdout.write(s));
  if (opts.follow) {
    followLog(p, (s) => process.stdout.write(s));
    await new Promise(() => undefined);
  }
  return 0;
}
