import path from 'node:path';
import { errorCode, ToolError } from '../errors.js';
import type { JobRow } from '../queue/status.js';
import { dedupeKey, type NewJob, type Store } from '../queue/store.js';
import { isInside, matchFile } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';
import { hashDrop, sha256Text } from './fingerprint.js';
import type { EntryKind } from './scan.js';
import type { ArrivedFile } from './watcher.js';

/** A settled inbox entry; `kind` is set for what is not a plain file or link. */
export type Drop = ArrivedFile & { kind?: EntryKind };

/**
 * What one rule makes of one drop: a job to queue (which becomes a `skipped` duplicate row when
 * the content is already taken), a skipped row saying why not, or neither (`keep`: the drop is
 * already accounted for, or is the rule's own result at the place it published it).
 */
export interface Decision {
  rule: Rule;
  file: Drop;
  job?: NewJob;
  /** With no job: the job id the drop record keeps. */
  keep?: number | null;
  /**
   * The record's job id when this was decided (undefined: no record). A file offered twice at
   * once (an event and a sweep during a long hash) is decided twice; the second is dropped.
   */
  basis: number | null | undefined;
}

/** What `kind` entries are, in the words of a skipped row. */
const NOT_A_FILE: Record<Exclude<EntryKind, 'file' | 'link' | 'folder'>, string> = {
  fifo: 'it is a FIFO (named pipe), not a file; dropwork only takes regular files',
  socket: 'it is a socket, not a file; dropwork only takes regular files',
  device: 'it is a device node, not a file; dropwork only takes regular files',
  badname: 'its name is not valid UTF-8 (the bytes shown as \\xNN), so dropwork cannot open it; rename it with valid characters and it is taken',
};

/**
 * The decisions for one drop, one per rule watching its inbox. Every drop leaves a trace the
 * first time a rule sees it; seeing it again unchanged (rescans, restarts) adds nothing.
 */
export async function decide(store: Store, candidates: Rule[], file: Drop): Promise<Decision[]> {
  const watching = candidates.filter((r) => r.watch.some((w) => isInside(file.path, w)));
  const out: Decision[] = [];
  const todo: { rule: Rule; prev: JobRow | undefined; quiet: boolean }[] = [];
  const basis = new Map<string, number | null | undefined>();
  for (const rule of watching) {
    const rec = store.drops.get(rule.name, file.path);
    basis.set(rule.name, rec ? rec.job_id : undefined);
    const prev = rec?.job_id ? store.get(rec.job_id) : undefined;
    if (rec && rec.size === file.size && rec.mtime_ms === file.mtimeMs) {
      // An unreadable file is tried again at every sweep, and says so only once.
      if (prev && payloadFlag(prev, 'unreadable')) todo.push({ rule, prev, quiet: true });
      else if (rec.rule_def !== rule.definition && reconsider(prev)) todo.push({ rule, prev, quiet: false });
      else if (rec.rule_def !== rule.definition) out.push({ rule, file, keep: rec.job_id, basis: rec.job_id });
      continue;
    }
    todo.push({ rule, prev, quiet: false });
  }
  if (todo.length === 0) return out;
  const facts = { size: file.size, mtimeMs: file.mtimeMs, birthtimeMs: file.birthtimeMs };
  const row = (t: (typeof todo)[number], reason: string, sha256: string | null, extra: Record<string, unknown> = {}): Decision => {
    // The same outcome as last time (a rule edit that changes nothing for this file): no new row.
    if (t.prev?.status === 'skipped' && t.prev.reason === reason) return { rule: t.rule, file, keep: t.prev.id, basis: basis.get(t.rule.name) };
    return { rule: t.rule, file, basis: basis.get(t.rule.name), job: { rule: t.rule.name, file: file.path, sha256, trigger: 'watch', dedupe: false, status: 'skipped', reason, payload: { ...facts, ...extra } } };
  };

  if (file.linkTarget !== undefined) {
    const sha256 = sha256Text(`link:${file.path}->${file.linkTarget}`);
    return [...out, ...todo.map((t) => row(t, `it is a link to ${file.linkTarget}; dropwork does not follow links`, sha256))];
  }
  if (file.kind === 'folder') {
    // A rule's outputs (or after: move) folder inside an inbox is dropwork's own, not a drop.
    const own = candidates.flatMap((r) => [r.output, ...(r.after.kind === 'move' ? [r.after.folder] : [])]);
    if (own.some((o) => o === file.path || isInside(o, file.path))) return [...out, ...todo.map((t) => ({ rule: t.rule, file, keep: null, basis: basis.get(t.rule.name) }))];
    const why = 'it is a folder, and this rule takes only files lying in the inbox itself (recursive: false): move the files out of the folder, or set recursive: true';
    return [...out, ...todo.filter((t) => !t.rule.recursive).map((t) => row(t, why, null))];
  }
  if (file.kind && file.kind !== 'file' && file.kind !== 'link') {
    return [...out, ...todo.map((t) => row(t, NOT_A_FILE[file.kind as keyof typeof NOT_A_FILE], null))];
  }

  let sha256: string;
  try {
    sha256 = store.cachedHash(file.path, file.size, file.mtimeMs) ?? await hashDrop(file.path, watching.flatMap((r) => r.watch));
  } catch (err) {
    if (err instanceof ToolError) {
      // A link or a FIFO where the watcher saw a file, or a folder on the way that became a
      // link (another account swapping things in a shared inbox): never followed, said why.
      return [...out, ...todo.map((t) => row(t, `dropwork did not open it: ${err.message}`, null))];
    }
    const code = errorCode(err);
    // Gone before it could be read: it never really arrived.
    if (code === 'ENOENT') return out;
    const loud = todo.filter((t) => !t.quiet);
    const why = `dropwork cannot read it (${code ?? String(err)}); it is tried again at every rescan, and taken once it can be read`;
    return [...out, ...loud.map((t) => row(t, why, null, { unreadable: true }))];
  }

  const producers = store.drops.producers(sha256);
  const lineage = new Set(producers.flatMap((p) => p.lineage));
  for (const t of todo) {
    const { rule } = t;
    const m = matchFile(rule, file.path);
    if (!m.match) {
      out.push(row(t, `not for this rule: ${m.why}`, sha256));
      continue;
    }
    // The rule's own result, where it published it (or while it publishes): known, not news.
    const mine = producers.filter((p) => p.rule === rule.name).map((p) => store.get(p.job_id));
    if (mine.some((j) => j && (['queued', 'running', 'waiting'].includes(j.status) || outputsOf(j).includes(file.path)))) {
      out.push({ rule, file, keep: null, basis: basis.get(rule.name) });
      continue;
    }
    const holder = store.byDedupeKey(dedupeKey(rule.name, rule.definition, sha256));
    // Content the rule took as an input is not its creation, even when it published the same
    // bytes (copy, rename): that is the dedupe key's business, and a fixed rule runs it again.
    if (!holder && lineage.has(rule.name) && !store.drops.tookAsInput(rule.name, sha256)) {
      const from = producers.find((p) => p.lineage.includes(rule.name));
      const via = from && from.rule !== rule.name ? ` by way of rule "${from.rule}"` : '';
      out.push(row(t, `it came out of this rule${via} (job ${from?.job_id ?? '?'}); a rule never takes its own results again, so no layout of folders can loop; \`${forceCommand(file.path, rule.name)}\` to run it anyway`, sha256, { own_result: true }));
      continue;
    }
    out.push({ rule, file, basis: basis.get(rule.name), job: { rule: rule.name, file: file.path, sha256, trigger: 'watch', dedupe: true, definition: rule.definition, payload: facts } });
  }
  return out;
}

/** A record made under an older version of the rule: look again unless the work was done. */
function reconsider(prev: JobRow | undefined): boolean {
  if (!prev) return true;
  if (prev.status === 'failed' || prev.status === 'cancelled') return true;
  return prev.status === 'skipped' && !payloadFlag(prev, 'duplicate_of') && !payloadFlag(prev, 'own_result');
}

/** The skipped row for a drop whose content a job already took: it says which, and how to run it again. */
export function duplicateRow(job: NewJob, holder: JobRow): NewJob {
  const state = holder.status === 'succeeded' ? `done ${localTime(holder.finished_at ?? holder.updated_at)}`
    // Reverted work keeps its content known: the original it put back is not processed again.
    : holder.status === 'reverted' ? `reverted ${localTime(holder.reverted_at ?? holder.updated_at)}`
    : holder.status === 'waiting' ? `waiting (${holder.reason ?? 'for approval'})`
      : holder.status === 'running' ? 'running now' : 'queued';
  const where = holder.file && job.file && holder.file !== job.file ? ` (${path.basename(holder.file)})` : '';
  const reason = `same content as job ${holder.id}${where}, ${state}; \`${forceCommand(job.file ?? '', job.rule)}\` to run it again`;
  return { ...job, dedupe: false, status: 'skipped', reason, payload: { ...job.payload, duplicate_of: holder.id } };
}

function forceCommand(file: string, rule: string): string {
  return `dropwork run ${shellQuote(file)} --force --rule ${shellQuote(rule)}`;
}

function shellQuote(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Local time as people read it in the history: 2026-11-30 10:02. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function payloadFlag(job: JobRow, key: string): boolean {
  try {
    return (JSON.parse(job.payload) as Record<string, unknown>)[key] !== undefined;
  } catch {
    return false;
  }
}

function outputsOf(job: JobRow): string[] {
  try {
    return JSON.parse(job.outputs) as string[];
  } catch {
    return [];
  }
}
