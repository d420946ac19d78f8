import { createHash } from 'node:crypto';
import path from 'node:path';
import { resolveFolder } from '../paths.js';
import { oldKeysIn, underOldNames } from './renamed.js';
import type { NetworkSetting } from '../sandbox/egress/allowlist.js';
import type { RuleInput } from './schema.js';

export type ConflictPolicy = 'rename' | 'skip' | 'overwrite';

/** One deterministic step, applied to the current file. */
export interface Action {
  kind: 'copy' | 'move' | 'rename';
  /** A folder (copy, move) or a file name (rename); both are templates. */
  target: string;
  onConflict: ConflictPolicy;
}

export type After = { kind: 'keep' } | { kind: 'trash' } | { kind: 'move'; folder: string };

/** A rule as the daemon runs it: folders absolute, defaults filled in. */
export interface Rule {
  name: string;
  /** The rule file and line it came from, for messages. */
  source: { file: string; line: number };
  /** sha256 of the rule's own settings; "approve: first" holds the first job after it changes. */
  hash: string;
  /**
   * sha256 of what the rule does to a file: everything but where it watches, how it notifies,
   * approval, concurrency and timing. Part of the dedupe key, so a file dropped again after
   * the rule was fixed runs again, while a change of `notify:` re-runs nothing.
   */
  definition: string;
  watch: string[];
  files: string[];
  recursive: boolean;
  output: string;
  actions?: Action[] | undefined;
  do?: string | undefined;
  if?: string | undefined;
  schedule?: string | undefined;
  timezone?: string | undefined;
  catchUp: boolean;
  input?: string | undefined;
  notify: 'always' | 'failures' | 'never';
  approve: 'never' | 'first' | 'always' | 'tools';
  model?: string | undefined;
  /** A named provider of config.yaml's `providers:`; unset: the default one. */
  provider?: string | undefined;
  maxTurns: number;
  maxCostUsd: number;
  concurrency: number;
  /** Files larger than this many MiB (apparent size) are skipped (`skip_files_over_mb`). @default 2048 */
  maxFileMb: number;
  /** Keys written under an old name (src/rules/renamed.ts): each gets a warning naming the new one. */
  oldKeys?: string[] | undefined;
  after: After;
  onConflict: ConflictPolicy;
  poll?: boolean | undefined;
  /** Connectors whose tools the agent gets: `notion` (all of them) or `notion.search`. @default [] */
  tools: string[];
  sandbox: { network: NetworkSetting; maxCommandS: number };
  /** Compiled rules (src/program). `mode` unset: `suggest` where a sandbox can run programs. */
  compile: { mode?: 'off' | 'suggest' | 'auto' | undefined; after: number; recompileAfter: number; maxCostUsd: number };
}

/** 2 GiB: generous for scans and recordings, while a runaway 100 GB image is refused with a reason. */
export const DEFAULT_MAX_FILE_MB = 2048;

export function toRule(input: RuleInput, home: string, source: { file: string; line: number }): Rule {
  const watch = input.watch === undefined ? [] : Array.isArray(input.watch) ? input.watch : [input.watch];
  const files = input.files === undefined ? ['*'] : Array.isArray(input.files) ? input.files : [input.files];
  const output = resolveFolder(input.output ?? path.join('outputs', input.name), home);
  const after: After =
    input.after === 'keep' ? { kind: 'keep' }
      : input.after === 'trash' ? { kind: 'trash' }
        : { kind: 'move', folder: resolveFolder(input.after.move, home) };
  return {
    name: input.name,
    source,
    hash: createHash('sha256').update(JSON.stringify(underOldNames(input))).digest('hex'),
    definition: definitionHash(underOldNames(input)),
    watch: watch.map((w) => resolveFolder(w, home)),
    files,
    recursive: input.recursive,
    output,
    actions: input.actions?.map((a) => {
      const kind = a.copy !== undefined ? 'copy' : a.move !== undefined ? 'move' : 'rename';
      return { kind, target: (a[kind] ?? '') as string, onConflict: a.on_conflict ?? input.on_conflict };
    }),
    do: input.do,
    if: input.if,
    schedule: input.schedule,
    timezone: input.timezone,
    catchUp: input.catch_up,
    input: input.input === undefined ? undefined : resolveFolder(input.input, home),
    notify: input.notify,
    approve: input.approve,
    model: input.model,
    provider: input.provider,
    maxTurns: input.max_turns,
    maxCostUsd: input.max_cost_usd,
    concurrency: input.concurrency,
    maxFileMb: input.skip_files_over_mb ?? input.max_file_mb ?? DEFAULT_MAX_FILE_MB,
    oldKeys: oldKeysIn(input),
    after,
    onConflict: input.on_conflict,
    poll: input.poll,
    tools: input.tools ?? [],
    sandbox: { network: input.sandbox.network, maxCommandS: input.sandbox.max_command_s },
    compile: { mode: input.compile, after: input.compile_after, recompileAfter: input.recompile_after, maxCostUsd: input.compile_max_cost_usd },
  };
}

function definitionHash(input: RuleInput): string {
  const { name, watch, notify, approve, concurrency, poll, schedule, timezone, catch_up, ...does } = input;
  return createHash('sha256').update(JSON.stringify(does)).digest('hex');
}

/** A scheduled rule with watch + actions sweeps its inboxes at each firing instead of watching. */
export function watchesContinuously(rule: Rule): boolean {
  return rule.watch.length > 0 && !rule.schedule;
}
