import fs from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { loadConfig, type Config } from './config.js';
import { Events } from './events.js';
import { createLogger, type Logger } from './log.js';
import type { Paths } from './paths.js';
import { plugins } from './plugins.js';
import { removeLeftoverTemps } from './publish/publish.js';
import { openStore } from './queue/open.js';
import type { Store } from './queue/store.js';
import { StoreUnavailable } from './errors.js';
import { Team } from './team/team.js';
import { Worker } from './queue/worker.js';
import { RuleSet } from './rules/registry.js';
import { ruleWarnings } from './rules/warnings.js';
import { formatLocated } from './errors.js';
import type { Rule } from './rules/rule.js';
import { claimPidFile, releasePidFile } from './pidfile.js';
import { Inboxes, type InboxState } from './watch/inboxes.js';
import { Intake } from './watch/intake.js';

export interface DaemonOptions {
  paths: Paths;
  /** Readable log lines on stderr as well as the log file. */
  console?: boolean;
  /** Overrides for config.yaml (tests and benchmarks). */
  configOverrides?: Partial<Config>;
}

/** What `dropwork status` reads while the daemon runs. */
export interface DaemonState {
  pid: number;
  started_at: string;
  heartbeat: number;
  rules: number;
  rule_errors: string[];
  /** config.yaml's problems; the defaults stand in for what they hid. */
  config_errors: string[];
  inboxes: InboxState[];
  plugins: Record<string, Record<string, unknown>>;
}

/**
 * watch → match → queue → run → publish → notify. The daemon owns one of each and wires them;
 * it holds no job state of its own, so killing it at any moment loses nothing.
 */
export class Daemon {
  readonly events = new Events();
  readonly log: Logger;
  readonly store: Store;
  readonly ruleSet: RuleSet;
  readonly worker: Worker;
  readonly intake: Intake;
  readonly inboxes: Inboxes;
  config: Config;
  /** What was wrong with config.yaml at start, for `status`. */
  readonly configErrors: string[];
  private paused = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private rulesWatcher: FSWatcher | undefined;
  private stopping: Promise<void> | undefined;
  private readonly startedAt = new Date().toISOString();

  constructor(readonly opts: DaemonOptions) {
    const { paths } = opts;
    const loaded = loadConfig(paths.configFile);
    this.config = { ...loaded.config, ...opts.configOverrides };
    this.log = createLogger({ dir: paths.logsDir, level: this.config.log_level, console: opts.console ?? false });
    this.configErrors = loaded.errors.map((e) => e.message);
    for (const e of loaded.errors) this.log.error(`config: ${e.message}`);
    this.events.reportListenerErrorsTo((event, err) => this.log.warn('an event listener failed', { event, error: String(err) }));
    this.store = openStore(paths, this.config);
    this.ruleSet = RuleSet.of(paths);
    this.worker = new Worker({
      store: this.store,
      config: () => this.config,
      rules: () => this.ruleSet.rules,
      paths,
      events: this.events,
      log: this.log,
      paused: () => [...this.paused],
      host: this.config.host_name,
      queueing: () => this.intake.behind,
    });
    this.intake = new Intake(this.store, () => this.ruleSet.list(), this.events, this.log, () => this.worker.wake(), 4, () => this.config.max_file_mb);
    this.inboxes = new Inboxes(this.intake, this.store, this.log, this.events, () => this.config, paths.files);
    this.team = new Team(this);
  }

  /** This host's part in a team (hosts, leases, the shared database's health). */
  readonly team: Team;

  /** Whether this host watches inboxes and queues jobs (role all or collect). */
  get collects(): boolean {
    return this.config.role !== 'work';
  }

  /** Whether this host runs jobs (role all or work). */
  get works(): boolean {
    return this.config.role !== 'collect';
  }

  get rules(): Rule[] {
    return this.ruleSet.list();
  }

  /** Rules whose jobs must not start for now (agent rules while the API is down). */
  pause(rule: string, on: boolean): void {
    if (on) this.paused.add(rule);
    else if (this.paused.delete(rule)) this.worker.wake();
  }

  async start(): Promise<void> {
    claimPidFile(this.opts.paths.pidFile);
    await this.team.whenReachable();
    const { requeued, failed } = this.store.recover(this.config.max_crashes, this.config.host_name);
    if (requeued.length || failed.length) this.log.warn('recovered jobs left running by a stopped daemon', { requeued: requeued.length, failed: failed.length });
    this.reloadRules();
    for (const rule of this.rules) removeLeftoverTemps(rule.output);
    if (this.collects) await this.inboxes.sync(this.rules);
    if (this.works) this.worker.start();
    await this.watchRules();
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    // Timers touch the store; a shared database that is down must not end the daemon.
    const guarded = (fn: () => void) => () => {
      try {
        fn();
      } catch (err) {
        if (!(err instanceof StoreUnavailable)) throw err;
        this.team.unreachable(err);
      }
    };
    if (this.collects) every(this.config.rescan_minutes * 60_000, guarded(() => this.inboxes.rescan()));
    every(5_000, guarded(() => { this.heartbeat(); this.team.beat(); }));
    every(30_000, guarded(() => { if (this.store.wakeDue() > 0) this.worker.wake(); }));
    for (const p of plugins()) {
      try {
        await p.start(this);
      } catch (err) {
        this.log.error(`${p.name} did not start; running without it`, { error: String(err) });
      }
    }
    this.heartbeat();
    this.team.beat();
    this.log.info('dropwork is running', { rules: this.rules.length, inboxes: this.inboxes.list().length, home: this.opts.paths.home, files: this.opts.paths.files, ...this.team.describe() });
  }

  reloadRules(): void {
    this.ruleSet.reload();
    // Each save logs what changed: the errors of a file whose errors are new, not every file's again.
    const said = this.saidRuleErrors;
    const now = new Map<string, string>();
    for (const e of this.ruleSet.errors) now.set(e.location.file, `${now.get(e.location.file) ?? ''}${e.message}\n`);
    for (const e of this.ruleSet.errors) if (said.get(e.location.file) !== now.get(e.location.file)) this.log.error(`rule file: ${e.message}`);
    for (const f of this.ruleSet.stale) if (said.get(f) !== now.get(f)) this.log.warn('keeping the last valid version of this rule file until it is fixed', { file: f });
    for (const f of said.keys()) if (!now.has(f)) this.log.info('no problems left in this rule file (fixed or removed)', { file: f });
    this.saidRuleErrors = now;
    for (const w of ruleWarnings(this.ruleSet.list(), this.config)) this.log.warn(`rule file: ${formatLocated(w.location, `warning: ${w.detail}`)}`);
    this.events.emit('rules:loaded', this.ruleSet.rules.size, this.ruleSet.errors.length);
  }

  private async watchRules(): Promise<void> {
    let debounce: NodeJS.Timeout | undefined;
    this.rulesWatcher = watch(this.opts.paths.rulesDir, { ignoreInitial: true, depth: 0 });
    await new Promise<void>((resolve) => this.rulesWatcher?.once('ready', () => resolve()));
    this.rulesWatcher.on('all', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        // Whatever lands in the rules folder, the daemon stays up: a reload that fails is logged
        // and the rules that were running keep running.
        try {
          this.reloadRules();
          (this.collects ? this.inboxes.sync(this.rules) : Promise.resolve()).then(() => this.worker.wake(), (err: unknown) => this.log.error('could not apply the changed rules to the inboxes', { error: String(err) }));
          for (const p of plugins()) {
            try {
              p.rulesChanged?.(this);
            } catch (err) {
              this.log.error(`${p.name} could not take the changed rules`, { error: String(err) });
            }
          }
        } catch (err) {
          this.log.error('could not reload the rules; the previous rules keep running', { error: String(err) });
        }
        this.heartbeat();
      }, 200);
    });
  }

  /** Each rule file's errors as last logged, so a save elsewhere does not log them again. */
  private saidRuleErrors = new Map<string, string>();

  heartbeat(): void {
    const state: DaemonState = {
      pid: process.pid,
      started_at: this.startedAt,
      heartbeat: Date.now(),
      rules: this.ruleSet.rules.size,
      rule_errors: this.ruleSet.errors.map((e) => e.message),
      config_errors: this.configErrors,
      inboxes: this.inboxes.list(),
      plugins: Object.fromEntries(plugins().filter((p) => p.status).map((p) => [p.name, p.status?.() ?? {}])),
    };
    try {
      this.store.setState('daemon', state);
    } catch (err) {
      this.log.warn('could not record the heartbeat', { error: String(err) });
    }
  }

  /** Stop taking work, let running jobs finish within the grace period, re-queue the rest. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping: finishing running jobs', { running: this.worker.busy });
      this.events.emit('daemon:stopping');
      for (const t of this.timers) clearInterval(t);
      await this.rulesWatcher?.close();
      await this.inboxes.closeAll();
      await this.worker.stop(this.config.shutdown_grace_s * 1000);
      for (const p of [...plugins()].reverse()) {
        try {
          await p.stop?.();
        } catch (err) {
          this.log.warn(`${p.name} did not stop cleanly`, { error: String(err) });
        }
      }
      await this.intake.idle();
      try {
        this.store.setState('daemon', null);
        this.team.leave();
      } catch (err) {
        if (!(err instanceof StoreUnavailable)) throw err;
      }
      this.store.close();
      releasePidFile(this.opts.paths.pidFile);
      this.log.info('stopped');
    })();
    return this.stopping;
  }
}

export function ensureDirs(paths: Paths): void {
  for (const d of [paths.home, paths.rulesDir, paths.dataDir, paths.logsDir, paths.jobsDir]) fs.mkdirSync(d, { recursive: true });
}
