/**
 * Shared set-up for the agent tests: a temp dropwork home (DROPWORK_HOME and HOME point into
 * it), rules and config written as a person would, the messages test server on 127.0.0.1
 * driven through the real SDK, and a real Worker over a real SQLite file running jobs the way
 * the daemon and `dropwork run` do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import '../../src/agent/index.js';
import { apiHealth } from '../../src/agent/health.js';
import { tuneAgent } from '../../src/agent/settings.js';
import { loadConfig, type Config } from '../../src/config.js';
import { Daemon } from '../../src/daemon.js';
import { Events } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import { resolvePaths, type Paths } from '../../src/paths.js';
import { FINAL, type JobRow, type JobStatus } from '../../src/queue/status.js';
import { Store, type NewJob } from '../../src/queue/store.js';
import { Worker } from '../../src/queue/worker.js';
import { RuleSet } from '../../src/rules/registry.js';
import { sha256File } from '../../src/watch/fingerprint.js';
import { startMessagesServer, type MessagesServer, type MessagesServerOptions } from '../support/messages-server.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KEY = 'sk-ant-test-0123456789abcdef';

/**
 * One of the real invoices of the repository's tests/fixtures/invoices (their licence and README
 * are there too); $DROPWORK_FIXTURES names another folder laid out like tests/fixtures.
 */
export function invoice(name: string): string {
  const file = path.resolve(process.env.DROPWORK_FIXTURES || path.join(REPO, 'tests', 'fixtures'), 'invoices', name);
  if (!fs.existsSync(file)) throw new Error(`fixture missing: ${file}`);
  return file;
}

export interface Home {
  dir: string;
  paths: Paths;
  /** inbox/<rule> and outputs/<rule> by convention. */
  inbox(rule: string): string;
  outputs(rule: string): string;
}

/** A fresh home; every ANTHROPIC_* variable cleared so only what a test sets counts. */
export function makeHome(): Home {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-agent-'));
  process.env.DROPWORK_HOME = dir;
  process.env.HOME = path.join(dir, 'user');
  fs.mkdirSync(process.env.HOME, { recursive: true });
  for (const k of Object.keys(process.env)) if (k.startsWith('ANTHROPIC_')) delete process.env[k];
  const paths = resolvePaths();
  for (const d of [paths.rulesDir, paths.jobsDir, paths.logsDir]) fs.mkdirSync(d, { recursive: true });
  apiHealth.reset();
  // Fast retries and probes; the limits themselves stay as shipped.
  tuneAgent({ retryBaseMs: 20, retryMaxMs: 200, probeMs: 100, probeMaxMs: 400, watchMs: 100 });
  return {
    dir,
    paths,
    inbox: (rule) => path.join(dir, 'inbox', rule),
    outputs: (rule) => path.join(dir, 'outputs', rule),
  };
}

export function writeRule(home: Home, rule: Record<string, unknown>): void {
  fs.writeFileSync(path.join(home.paths.rulesDir, `${String(rule.name)}.yaml`), YAML.stringify(rule));
}

export function writeConfig(home: Home, config: Record<string, unknown>): void {
  fs.writeFileSync(home.paths.configFile, YAML.stringify(config));
}

export function writeKey(home: Home, key = KEY): void {
  fs.writeFileSync(path.join(home.dir, 'credentials.env'), `# written by the test\nANTHROPIC_API_KEY=${key}\n`, { mode: 0o600 });
}

export async function serve(opts: MessagesServerOptions = {}): Promise<MessagesServer> {
  return startMessagesServer({ apiKey: KEY, ...opts });
}

/** The config a test's jobs run with: the test server, no sandbox unless asked. */
export function baseConfig(home: Home, server: MessagesServer, extra: Record<string, unknown> = {}): void {
  const provider = { base_url: server.url, ...(extra.provider as Record<string, unknown> | undefined) };
  writeConfig(home, { sandbox: 'none', notify: false, ...extra, provider });
}

/** A Worker over the home's store and rules, as `dropwork run` uses one without a daemon. */
export class Harness {
  readonly store: Store;
  readonly rules: RuleSet;
  readonly config: Config;
  readonly worker: Worker;

  constructor(readonly home: Home, overrides: Partial<Config> = {}) {
    this.store = new Store(home.paths.dbFile);
    this.rules = new RuleSet(home.paths.rulesDir, home.dir);
    this.rules.reload();
    if (this.rules.errors.length) throw new Error(this.rules.errors.map((e) => e.message).join('\n'));
    this.config = { ...loadConfig(home.paths.configFile).config, ...overrides };
    this.worker = new Worker({ store: this.store, config: () => this.config, rules: () => this.rules.rules, paths: home.paths, events: new Events(), log: silentLogger, pollMs: 50 });
    this.worker.start();
  }

  /** Queues `file` for `rule` (a copy in the rule's inbox, as a drop would leave it). */
  async queue(rule: string, file: string, extra: Partial<NewJob> = {}): Promise<JobRow> {
    const inbox = this.home.inbox(rule);
    fs.mkdirSync(inbox, { recursive: true });
    const dropped = path.join(inbox, path.basename(file));
    if (dropped !== file) fs.copyFileSync(file, dropped);
    const st = fs.statSync(dropped);
    const row = this.store.enqueue({ rule, file: dropped, sha256: await sha256File(dropped), trigger: 'watch', dedupe: false, payload: { size: st.size, mtimeMs: st.mtimeMs }, ...extra });
    if (!row) throw new Error('not queued');
    this.worker.wake();
    return row;
  }

  async run(rule: string, file: string): Promise<JobRow> {
    const row = await this.queue(rule, file);
    return this.settled(row.id);
  }

  /** Waits until the job is final or waiting (or in one of `statuses`). */
  async settled(id: number, statuses: JobStatus[] = [...FINAL, 'waiting'], timeoutMs = 30_000): Promise<JobRow> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const row = this.store.get(id);
      if (row && statuses.includes(row.status)) return row;
      if (Date.now() > until) throw new Error(`job ${id} is still ${row?.status} (${row?.reason ?? ''})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kinds(id: number): string[] {
    return this.store.logs(id).map((e) => e.kind);
  }

  log(id: number, kind: string): string[] {
    return this.store.logs(id).filter((e) => e.kind === kind).map((e) => e.message);
  }

  async close(): Promise<void> {
    await this.worker.stop(0);
    this.store.close();
  }
}

/** Regular files under a folder, relative, sorted; links are not followed. */
export function filesIn(dir: string, rel = ''): string[] {
  const at = path.join(dir, rel);
  if (!fs.existsSync(at)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(at, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesIn(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** The real daemon over the home (plugins, watchers, the breaker), with quick settling and retries. */
export async function startDaemon(home: Home, rules: string[], overrides: Partial<Config> = {}): Promise<Daemon> {
  for (const r of rules) fs.mkdirSync(home.inbox(r), { recursive: true });
  const daemon = new Daemon({ paths: home.paths, configOverrides: { settle_ms: 100, retry_base_ms: 50, retry_max_ms: 200, rescan_minutes: 60, ...overrides } });
  await daemon.start();
  return daemon;
}

/** Copies a file into a rule's inbox, as a person dropping it would. */
export function drop(home: Home, rule: string, file: string, name = path.basename(file)): string {
  const dest = path.join(home.inbox(rule), name);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(file, dest);
  return dest;
}

export async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function jobsOf(daemon: Daemon, rule: string): JobRow[] {
  return daemon.store.list({ rule, limit: 1000 }).reverse();
}
