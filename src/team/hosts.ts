import type { HostRow, Store } from '../queue/store.js';

/** A host that has not said it is alive for this long is shown as gone (heartbeats are 5 s apart). */
export const GONE_AFTER_MS = 30_000;

export interface HostView {
  name: string;
  role: HostRow['role'];
  version: string;
  /** ISO time of its last heartbeat. */
  last_heartbeat: string;
  alive: boolean;
  running: number;
}

/** A rule whose text is not the same on every host that has it (each host reads its own rules/). */
export interface RuleDifference {
  rule: string;
  /** Host name → a short hash of its text of the rule; hosts without the rule are left out. */
  hosts: Record<string, string>;
}

export interface TeamView {
  hosts: HostView[];
  rule_differences: RuleDifference[];
}

/** The hosts sharing this database and where their rules disagree (status and the dashboard). */
export function teamView(store: Store, now = Date.now()): TeamView {
  const rows = store.hosts();
  const hosts = rows.map((h) => ({
    name: h.name,
    role: h.role,
    version: h.version,
    last_heartbeat: new Date(h.heartbeat_at).toISOString(),
    alive: now - h.heartbeat_at < GONE_AFTER_MS,
    running: h.running,
  }));
  const texts = new Map<string, Record<string, string>>();
  for (const h of rows) {
    // A host that stopped cleanly reports no rules; it has no say about them.
    for (const [rule, hash] of Object.entries(parseRules(h.rules))) texts.set(rule, { ...texts.get(rule), [h.name]: hash });
  }
  const rule_differences = [...texts].filter(([, byHost]) => new Set(Object.values(byHost)).size > 1).map(([rule, byHost]) => ({ rule, hosts: byHost }));
  return { hosts, rule_differences };
}

function parseRules(json: string): Record<string, string> {
  try {
    const v = JSON.parse(json) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** How `status` says it: one line per host, then each rule that differs. */
/** A host's `role:` in words, as the dashboard's Hosts card says it. */
export const ROLE_WORDS = { all: 'collects files and runs jobs', collect: 'collects files', work: 'runs jobs' } as const;

export function teamLines(view: TeamView, ago: (iso: string) => string): string[] {
  if (view.hosts.length === 0) return [];
  const out = ['hosts:'];
  for (const h of view.hosts) {
    const state = h.alive ? `${h.running} running, heard from ${ago(h.last_heartbeat)}` : `not heard from since ${ago(h.last_heartbeat)}`;
    out.push(`  ${h.name}  ${ROLE_WORDS[h.role as keyof typeof ROLE_WORDS] ?? h.role}  ${h.version}  ${state}`);
  }
  for (const d of view.rule_differences) {
    out.push(`problem: rule "${d.rule}" is not the same on every host (${Object.entries(d.hosts).map(([host, hash]) => `${host} ${hash.slice(0, 8)}`).join(', ')}): copy one rules/ file to the others`);
  }
  return out;
}
