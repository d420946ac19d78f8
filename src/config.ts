import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { ConfigError, errorMessage } from './errors.js';
import { issuesToErrors, locate, parseYamlFile, readYamlFile } from './located-yaml.js';
import { parseAllowEntry } from './sandbox/egress/allowlist.js';

/** One MCP server (a connector) the rules' agents may be given as tools (src/connectors). */
export interface McpServerConfig {
  /** A program on this computer, run confined (bubblewrap), speaking MCP on its stdin/stdout. */
  command?: string | undefined;
  /** @default [] */
  args: string[];
  /** Names of lines in credentials.env handed to the program as environment variables. @default [] */
  env: string[];
  /** A streamable-HTTP server instead of a program. */
  url?: string | undefined;
  /** HTTP headers sent to `url`; `${NAME}` in a value is that line of credentials.env (added to `env`). @default {} */
  headers: Record<string, string>;
  /** A container image speaking MCP on its stdin/stdout, run locked down by Docker instead of a program. */
  image?: string | undefined;
  /** Hosts the program may reach, through an egress proxy of its own; none by default. */
  network?: { allow: string[] } | undefined;
  /** Longest a tool call may take, seconds. @default 60 */
  timeout_s: number;
}

/** Everything config.yaml may say. Every key is optional: `defaults` fills the rest. */
export interface Config {
  /** Jobs running at once, across all rules. @default 2 */
  concurrency: number;
  /** A file counts as complete once its size and mtime stay unchanged this long. @default 2000 */
  settle_ms: number;
  /** How often every inbox is swept for files the watch events missed. @default 5 */
  rescan_minutes: number;
  /** Watch every inbox by polling (network shares). @default false */
  poll: boolean;
  /** Polling interval when polling. @default 2000 */
  poll_interval_ms: number;
  /** Attempts for a job whose failures look temporary, before it fails. @default 5 */
  max_attempts: number;
  /** First retry delay; doubles each attempt, with jitter. @default 2000 */
  retry_base_ms: number;
  /** Longest retry delay. @default 300000 */
  retry_max_ms: number;
  /** A job that was running when the daemon died this many times is failed. @default 3 */
  max_crashes: number;
  /** On SIGTERM, how long running jobs may take to finish before they are re-queued. @default 30 */
  shutdown_grace_s: number;
  /** Desktop notifications. @default true */
  notify: boolean;
  /** Once today's agent spending reaches this, new agent jobs wait for tomorrow. @default 5 */
  daily_budget_usd: number;
  /** The agent's model: a current Sonnet (Sonnet 4.5 retired in 2026). @default "claude-sonnet-5-5" */
  model: string;
  /** The cheap model that decides `if:` conditions. @default "claude-haiku-4-5" */
  condition_model: string;
  /** An Anthropic-compatible server instead of Anthropic's own. */
  provider: {
    /** @default undefined (ANTHROPIC_BASE_URL, else Anthropic) */
    base_url?: string | undefined;
    /** How PDFs are sent: as document blocks, or as extracted text for servers without PDF support. @default "document" */
    pdf: 'document' | 'text';
  };
  /** Where agent commands run. @default "auto" */
  sandbox: 'auto' | 'docker' | 'bubblewrap' | 'none';
  /** The dashboard's address. Anything other than 127.0.0.1 must be set on purpose. @default "127.0.0.1" */
  host: string;
  /** The dashboard's port (DROPWORK_PORT overrides). @default 7717 */
  port: number;
  /** Price overrides per model, USD per million tokens. @default {} */
  prices: Record<string, ModelPrice>;
  /**
   * Named model providers a rule picks with `provider: NAME` (src/agent/providers/). The
   * top-level `provider:` above stays the default for rules that name none. @default {}
   */
  providers: Record<string, NamedProvider>;
  /** The named provider that decides `if:` conditions (its `model`); unset: the default provider with condition_model. @default undefined */
  condition_provider?: string | undefined;
  /** Log detail. @default "info" */
  log_level: 'debug' | 'info' | 'warn' | 'error';
  /** How long finished jobs can be reverted; older undo records and backups are pruned. @default 30 */
  undo_keep_days: number;
  /** Space the kept earlier versions of replaced files may take; the oldest go first. @default 1024 */
  undo_max_mb: number;
  /**
   * Where the queue and history live: empty for the embedded SQLite file (one machine), or a
   * postgres:// URL that a team's hosts share (DROPWORK_DATABASE_URL overrides). @default ""
   */
  database: string;
  /** On a shared database: `collect` watches inboxes and queues, `work` runs jobs, `all` both. @default "all" */
  role: 'all' | 'collect' | 'work';
  /** This host's name in a team's history and dashboard. @default the machine's host name */
  host_name: string;
  /** A running job is its worker's while renewed within this; then it runs elsewhere. @default 60 */
  lease_seconds: number;
  /** On a shared database, files up to this size travel with their job; larger ones are skipped. @default 50 */
  max_file_mb: number;
  /** Connectors: MCP servers by name, which a rule's `tools:` may name. @default {} */
  mcp: Record<string, McpServerConfig>;
}

export interface ModelPrice {
  input: number;
  output: number;
  cache_write?: number | undefined;
  cache_read?: number | undefined;
}

/** One entry of config's `providers:`. */
export interface NamedProvider {
  /** The wire protocol: the OpenAI chat-completions API, or Anthropic's Messages API. */
  api: 'openai' | 'anthropic';
  /** @default undefined (OpenAI's or Anthropic's own API) */
  base_url?: string | undefined;
  /** The model its rules use unless a rule names another. */
  model: string;
  /** The credentials.env (or environment) variable holding its key. @default OPENAI_API_KEY / ANTHROPIC_API_KEY; none needed on 127.0.0.1 */
  key_env?: string | undefined;
  /** The model can call tools (every `do:` rule needs them). @default true */
  tools: boolean;
  /** The model reads images (and, on the anthropic api, PDFs); without it files go as extracted text. @default true */
  vision: boolean;
  /** The model's context window in tokens, when small: files are cut to fit, or refused. @default undefined */
  context?: number | undefined;
  /** Stream answers (some servers cannot stream tool calls). @default true */
  stream: boolean;
  /** Prices of its models, USD per million tokens; unset: $0 on a local server, the safe dearest otherwise. @default {} */
  prices: Record<string, ModelPrice>;
}

export const defaults = {
  concurrency: 2,
  settle_ms: 2000,
  rescan_minutes: 5,
  poll: false,
  poll_interval_ms: 2000,
  max_attempts: 5,
  retry_base_ms: 2000,
  retry_max_ms: 300_000,
  max_crashes: 3,
  shutdown_grace_s: 30,
  notify: true,
  daily_budget_usd: 5,
  model: 'claude-sonnet-5-5',
  condition_model: 'claude-haiku-4-5',
  provider: { pdf: 'document' },
  sandbox: 'auto',
  host: '127.0.0.1',
  port: 7717,
  prices: {},
  providers: {},
  condition_provider: undefined,
  log_level: 'info',
  undo_keep_days: 30,
  undo_max_mb: 1024,
  database: '',
  role: 'all',
  host_name: os.hostname(),
  lease_seconds: 60,
  max_file_mb: 50,
  mcp: {},
} satisfies Config;

const price = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_write: z.number().nonnegative().optional(),
  cache_read: z.number().nonnegative().optional(),
});

/** An environment-style variable name: the key itself never belongs in config.yaml. */
const keyName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names the variable in credentials.env that holds the key (such as OPENROUTER_API_KEY), not the key itself');

const namedProvider = z.strictObject({
  api: z.enum(['openai', 'anthropic'], { error: 'must be openai (chat completions: Ollama, llama.cpp, vLLM, LM Studio, OpenRouter, ...) or anthropic' }),
  base_url: z.url().optional(),
  model: z.string().min(1),
  key_env: keyName.optional(),
  tools: z.boolean().default(true),
  vision: z.boolean().default(true),
  context: z.number().int().min(512).optional(),
  stream: z.boolean().default(true),
  prices: z.record(z.string(), price).default({}),
});

const credentialName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is the name of a line in credentials.env, such as NOTION_TOKEN');
const mcpServer = z.strictObject({
  command: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  env: z.array(credentialName).default([]),
  url: z.url({ protocol: /^https?$/, error: 'is an http:// or https:// URL' }).optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'is an HTTP header name'), z.string().superRefine((v, ctx) => {
    for (const m of v.matchAll(/\$\{([^}]*)\}/g)) {
      if (!credentialName.safeParse(m[1]).success) ctx.addIssue({ code: 'custom', message: `names "\${${m[1]}}", which is not a credentials.env name such as \${NOTION_TOKEN}` });
    }
  })).default({}),
  image: z.string().min(1).optional(),
  network: z.strictObject({
    allow: z.array(z.string().superRefine((s, ctx) => {
      const parsed = parseAllowEntry(s);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    })).min(1),
  }).optional(),
  timeout_s: z.number().positive().max(3600).default(60),
}).superRefine((s, ctx) => {
  const kinds = [s.command, s.url, s.image].filter((k) => k !== undefined).length;
  if (kinds !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of `command` (a program), `url` (a streamable-HTTP server) or `image` (a container image)' });
  if (s.url !== undefined && (s.args.length || s.network)) ctx.addIssue({ code: 'custom', path: [s.args.length ? 'args' : 'network'], message: 'only means something with `command` or `image`' });
  if (s.url === undefined && Object.keys(s.headers).length) ctx.addIssue({ code: 'custom', path: ['headers'], message: 'only means something with `url`' });
}).transform((s) => {
  // A header's ${NAME} is a secret like env's: read from credentials.env by name, masked where it could show.
  const named = Object.values(s.headers).flatMap((v) => [...v.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string));
  return { ...s, env: [...new Set([...s.env, ...named])] };
});
/** A server's name prefixes its tools' names (`notion__search`), so it is one plain word. */
const mcpName = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*$/, 'is a plain name such as "notion" (letters, digits, "-", "_")').max(30);

const configSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(64),
  settle_ms: z.number().int().min(0).max(600_000),
  rescan_minutes: z.number().positive(),
  poll: z.boolean(),
  poll_interval_ms: z.number().int().min(100),
  max_attempts: z.number().int().min(1).max(100),
  retry_base_ms: z.number().int().min(0),
  retry_max_ms: z.number().int().min(0),
  max_crashes: z.number().int().min(1),
  shutdown_grace_s: z.number().min(0),
  notify: z.boolean(),
  daily_budget_usd: z.number().min(0),
  model: z.string().min(1),
  condition_model: z.string().min(1),
  provider: z.strictObject({ base_url: z.url().optional(), pdf: z.enum(['document', 'text']).default('document') }),
  sandbox: z.enum(['auto', 'docker', 'bubblewrap', 'none']),
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  prices: z.record(z.string(), price),
  providers: z.record(z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u, 'is a short name such as "local"'), namedProvider),
  condition_provider: z.string().min(1).optional(),
  log_level: z.enum(['debug', 'info', 'warn', 'error']),
  undo_keep_days: z.number().min(0),
  undo_max_mb: z.number().min(0),
  database: z.string().refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'is a postgres:// URL (or empty for the embedded SQLite file)'),
  role: z.enum(['all', 'collect', 'work']),
  host_name: z.string().min(1).max(100).regex(/^[^/\s]+$/, 'is one word without "/"'),
  lease_seconds: z.number().min(5).max(3600),
  max_file_mb: z.number().positive().max(1024),
  mcp: z.record(mcpName, mcpServer),
}).partial();

export interface LoadedConfig {
  config: Config;
  errors: ConfigError[];
}

/**
 * config.yaml is optional, and a broken one never stops dropwork: each problem is reported with
 * its location (log, `status`, `doctor`, `rules check`) and the defaults stand in for whatever
 * could not be read, so files keep flowing. Refusing to start would turn one typo into a
 * restart loop under systemd with every inbox unattended. Never throws.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (!fs.existsSync(file)) return { config: withEnv({ ...defaults }, env), errors: [] };
  try {
    return readConfig(file, env);
  } catch (err) {
    const error = new ConfigError({ file, line: 1, col: 1, field: '' }, `cannot be read: ${errorMessage(err)}; using the defaults`);
    return { config: withEnv({ ...defaults }, env), errors: [error] };
  }
}

function readConfig(file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const read = readYamlFile(file);
  if ('error' in read) return { config: withEnv({ ...defaults }, env), errors: [read.error] };
  const { docs, errors } = parseYamlFile(read.text, file);
  const [first, ...more] = docs;
  for (const extra of more) errors.push(new ConfigError(locate(extra, []), 'config.yaml holds one set of settings; everything after the `---` line is ignored: remove the `---`'));
  if (!first || first.value === null || first.value === undefined) return { config: withEnv({ ...defaults }, env), errors };
  if (typeof first.value !== 'object' || Array.isArray(first.value)) {
    errors.push(new ConfigError(locate(first, []), 'config.yaml holds settings as lines of "key: value" (such as "concurrency: 2"); using the defaults'));
    return { config: withEnv({ ...defaults }, env), errors };
  }
  const result = configSchema.safeParse(first.value);
  if (!result.success) {
    errors.push(...issuesToErrors(result.error.issues, first, [], [], configSchema));
    const good = keepValidKeys(first.value, result.error.issues.map((i) => String(i.path[0] ?? '')));
    return { config: withEnv({ ...defaults, ...good, provider: { ...defaults.provider, ...good.provider } }, env), errors };
  }
  const merged: Config = { ...defaults, ...result.data, provider: { ...defaults.provider, ...result.data.provider } };
  return { config: withEnv(merged, env), errors };
}

function keepValidKeys(value: unknown, badKeys: string[]): Partial<Config> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!badKeys.includes(k) && k in defaults) out[k] = v;
  }
  return out as Partial<Config>;
}

function withEnv(config: Config, env: NodeJS.ProcessEnv): Config {
  const port = Number(env.DROPWORK_PORT);
  if (env.DROPWORK_PORT && Number.isInteger(port)) config.port = port;
  if (env.DROPWORK_DATABASE_URL) config.database = env.DROPWORK_DATABASE_URL;
  if (env.DROPWORK_NOTIFY === 'off' || env.DROPWORK_NOTIFY === '0' || env.DROPWORK_NOTIFY === 'false') config.notify = false;
  return config;
}
