import type { RuleInput } from './schema.js';

/**
 * Rule keys that were renamed. The old name still works, with a warning located at it that
 * names the new one. `max_file_mb` meant two limits: in a rule, files over it are skipped
 * (default 2048); in config.yaml, the largest file that travels with its job on a team's
 * database (default 50). The rule's is now `skip_files_over_mb`.
 */
export const RENAMED_RULE_KEYS = {
  max_file_mb: {
    now: 'skip_files_over_mb',
    why: "config.yaml's max_file_mb is another limit: the largest file that travels with its job to another host",
  },
} as const satisfies Record<string, { now: keyof RuleInput; why: string }>;

type OldKey = keyof typeof RENAMED_RULE_KEYS;

/** The old names this rule was written with. */
export function oldKeysIn(input: RuleInput): OldKey[] | undefined {
  const old = (Object.keys(RENAMED_RULE_KEYS) as OldKey[]).filter((k) => input[k] !== undefined);
  return old.length ? old : undefined;
}

/**
 * The rule as its hashes see it: new names back to the old ones, in place (the schema lists
 * each new key right after its old one, and only one of the two may be written). Renaming a
 * key then changes no hash: no `approve: first` hold, and no file runs again.
 */
export function underOldNames(input: RuleInput): RuleInput {
  const back = new Map<string, string>(Object.entries(RENAMED_RULE_KEYS).map(([old, r]) => [r.now, old]));
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [back.get(k) ?? k, v])) as RuleInput;
}

/** "max_file_mb is now called skip_files_over_mb (...)": the warning for an old key. */
export function renamedWarning(old: OldKey): string {
  const r = RENAMED_RULE_KEYS[old];
  return `is now called ${r.now} (${r.why}); the old name still works: rename it to ${r.now}`;
}
