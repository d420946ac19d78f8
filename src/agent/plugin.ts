/**
 * The agent's part of the daemon: it notices what jobs cannot (a key configured later, a
 * budget raised, a new day) and runs the circuit breaker. When the API stops answering, every
 * rule that needs the model (`do:` or `if:`) is paused, deterministic rules go on, a cheap
 * probe asks now and then (after 15-30 s, doubling with jitter up to 5 min: queue/backoff.ts),
 * and the rules resume by themselves once it answers; jobs put off while it was down are due at once.
 */
import fs from 'node:fs';
import { loadConfig } from '../config.js';
import type { Daemon } from '../daemon.js';
import { StoreUnavailable, errorMessage } from '../errors.js';
import type { DaemonPlugin } from '../plugins.js';
import { backoffMs } from '../queue/backoff.js';
import { ONLY_COLLECTS } from '../doctor/check.js';
import { BUDGET_REACHED } from './budget.js';
import { clearRejectionIfChanged, credentialsFile, findCredentials, findKeyFor, isRejected, KEY_REJECTED, keyVariable, namedRejected, NO_KEY } from './credentials.js';
import { apiHealth } from './health.js';
import { formatUsd } from './pricing.js';
import { agentSettings } from './settings.js';

export class AgentPlugin implements DaemonPlugin {
  readonly name = 'agent';
  private daemon: Daemon | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Probes of a down API so far: the wait before the next one grows like a job's retries. */
  private probes = 0;
  private probing: AbortController | undefined;
  private readonly paused = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  private key = 'not checked yet';
  private fileBudget: number | undefined;

  start(daemon: Daemon): void {
    this.daemon = daemon;
    const creds = credentialsFile(daemon.opts.paths.home);
    if (fs.existsSync(creds) && (fs.statSync(creds).mode & 0o077) !== 0) {
      daemon.log.warn(`${creds} can be read by other users; chmod 600 it`);
    }
    this.fileBudget = loadConfig(daemon.opts.paths.configFile).config.daily_budget_usd;
    this.unsubscribe = apiHealth.onChange((down) => (down ? this.apiDown() : this.apiUp()));
    if (apiHealth.down) this.apiDown();
    this.watchTimer = setInterval(() => this.watch(), agentSettings.watchMs);
    this.watchTimer.unref();
    this.watch();
    // Rules on a named provider have keys of their own (or need none, on this machine).
    const c = daemon.config;
    const needing = daemon.rules.filter((r) => (r.do !== undefined && r.provider === undefined) || (r.if !== undefined && c.condition_provider === undefined)).map((r) => r.name);
    // A host that only collects files runs no job: it needs no key (doctor says the same).
    if (this.key === 'missing' && needing.length && daemon.works) {
      // Said once at start, where a newcomer looks: the quick start runs without a key.
      daemon.log.warn(`no API key yet: jobs of ${needing.join(', ')} will wait until one is set; add ANTHROPIC_API_KEY=... to ${creds} (chmod 600), no restart needed`);
    }
  }

  stop(): void {
    clearInterval(this.watchTimer);
    clearTimeout(this.probeTimer);
    this.probing?.abort();
    this.unsubscribe?.();
    this.paused.clear();
  }

  rulesChanged(): void {
    if (apiHealth.down) this.pauseAgentRules();
  }

  status(): Record<string, unknown> {
    const d = this.daemon;
    const spent = d ? formatUsd(d.store.spentToday()) : '?';
    return {
      api: apiHealth.describe(),
      key: this.key,
      spent_today: `${spent} of ${formatUsd(d?.config.daily_budget_usd ?? 0)}`,
      ...(this.paused.size ? { paused_rules: [...this.paused].join(' ') } : {}),
    };
  }

  private agentRules(): string[] {
    return (this.daemon?.rules ?? []).filter((r) => r.do !== undefined || r.if !== undefined).map((r) => r.name);
  }

  private pauseAgentRules(): void {
    for (const name of this.agentRules()) {
      this.daemon?.pause(name, true);
      this.paused.add(name);
    }
  }

  private apiDown(): void {
    const d = this.daemon;
    if (!d) return;
    this.pauseAgentRules();
    d.log.warn('the API is not answering: rules that need the model are paused, the others go on', { rules: [...this.paused], why: apiHealth.describe() });
    this.probes = 0;
    this.scheduleProbe();
  }

  private apiUp(): void {
    const d = this.daemon;
    clearTimeout(this.probeTimer);
    this.probing?.abort();
    if (!d) return;
    const names = [...this.paused];
    this.paused.clear();
    const now = Date.now();
    // Jobs the worker put off with a long backoff while the API was down need not wait it out.
    d.store.db.prepare("UPDATE jobs SET run_at = ? WHERE status = 'queued' AND run_at > ? AND rule IN (SELECT value FROM json_each(?))").run(now, now, JSON.stringify(names));
    for (const name of names) d.pause(name, false);
    d.log.info('the API answers again: paused rules resume', { rules: names });
    d.worker.wake();
  }

  /** Waits the same way a job's retries do (queue/backoff.ts); returns the wait. */
  private scheduleProbe(): number {
    clearTimeout(this.probeTimer);
    this.probes += 1;
    const waitMs = backoffMs(this.probes, agentSettings.probeMs, agentSettings.probeMaxMs);
    this.probeTimer = setTimeout(() => void this.probe(), waitMs);
    this.probeTimer.unref();
    return waitMs;
  }

  private async probe(): Promise<void> {
    const d = this.daemon;
    if (!d || !apiHealth.down) return;
    // The provider whose request failed last is the one asked: a local server down says nothing of Anthropic's.
    const [{ providerSettings, openProvider, conditionTarget }, { probeApi }] = await Promise.all([import('./provider.js'), import('./request.js')]);
    let settings;
    try {
      settings = providerSettings(d.config, apiHealth.failingProvider);
    } catch {
      settings = providerSettings(d.config, undefined);
    }
    const creds = findKeyFor(d.opts.paths.home, settings);
    let up = false;
    if (creds) {
      this.probing = new AbortController();
      try {
        const cond = conditionTarget(d.config);
        const model = cond.settings.name === settings.name ? cond.model : (settings.model ?? d.config.condition_model);
        up = await probeApi(await openProvider(settings, creds), model, this.probing.signal);
      } catch (err) {
        d.log.debug('probe failed', { error: errorMessage(err) });
      }
    }
    if (!apiHealth.down) return;
    if (up) {
      apiHealth.success();
      return;
    }
    const waitMs = this.scheduleProbe();
    d.log.info(`the API is still not answering; asking again in ${Math.round(waitMs / 1000)} s`);
  }

  /** Named providers' keys (config's `providers:`), each resuming only the jobs that wait for it. */
  private watchNamedKeys(d: Daemon): number {
    let resumed = 0;
    for (const [name, p] of Object.entries(d.config.providers)) {
      const variable = keyVariable(p);
      if (!variable) continue;
      const creds = findKeyFor(d.opts.paths.home, { ...p, name });
      if (!creds) continue;
      resumed += d.store.resumeWaiting(`${NO_KEY} for provider ${name} `);
      if (clearRejectionIfChanged(d.store, creds)) resumed += d.store.resumeWaiting(namedRejected(variable));
    }
    return resumed;
  }

  /** A key configured or changed, a budget raised: waiting jobs go back to the queue. */
  private watch(): void {
    const d = this.daemon;
    if (!d) return;
    try {
      let resumed = 0;
      const creds = findCredentials(d.opts.paths.home);
      if (creds) {
        resumed += d.store.resumeWaiting(`${NO_KEY}:`);
        if (clearRejectionIfChanged(d.store, creds)) resumed += d.store.resumeWaiting(KEY_REJECTED);
      }
      resumed += this.watchNamedKeys(d);
      this.key = !d.works ? ONLY_COLLECTS : !creds ? 'missing' : isRejected(d.store, creds) ? `rejected (from ${creds.source})` : `from ${creds.source}`;
      // config.yaml's budget, when edited while running (overrides given at start stand until then).
      const budget = loadConfig(d.opts.paths.configFile).config.daily_budget_usd;
      if (budget !== this.fileBudget) {
        this.fileBudget = budget;
        d.config = { ...d.config, daily_budget_usd: budget };
      }
      if (d.store.spentToday() < d.config.daily_budget_usd) resumed += d.store.resumeWaiting(BUDGET_REACHED);
      if (resumed > 0) {
        d.log.info('waiting agent jobs can run now', { jobs: resumed });
        d.worker.wake();
      }
    } catch (err) {
      // A team's database being down is said once, by the daemon (src/team/team.ts).
      if (err instanceof StoreUnavailable) return;
      d.log.warn('the agent could not check its waiting jobs', { error: errorMessage(err) });
    }
  }
}

export const agentPlugin = new AgentPlugin();
