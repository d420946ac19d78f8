/**
 * A rule may not watch dropwork's own folders, nor write into them. Watching the home
 * (`watch: .`) copied credentials.env, ui-token and dropwork.db into an outputs folder the
 * dashboard served, and with `recursive: true` fed on its own log for ever; an output or an
 * `after: move` into rules/ would plant a rule. So the home and the data folder, and anything
 * that contains them, are refused for every folder a rule names; inside them, rules/, logs/ and
 * jobs/ (and the whole data folder where it is a folder of its own) are refused too. Inboxes
 * and outputs under the home (inbox/, outputs/) stay fine: that is the usual layout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { locate, type LocatedDoc, type PathSegment } from '../located-yaml.js';
import { resolvePaths } from '../paths.js';
import type { Rule } from './rule.js';

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function within(p: string, folder: string): boolean {
  const rel = path.relative(folder, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Why `folder` is dropwork's own, or undefined when a rule may use it. */
export function ownFolderReason(folder: string, home: string): string | undefined {
  const p = resolvePaths();
  const dataDir = path.resolve(home) === path.resolve(p.home) ? p.dataDir : home;
  const roots = [...new Set([home, dataDir, p.home, p.dataDir].map(real))];
  const inner = [...new Set([path.join(home, 'rules'), path.join(dataDir, 'logs'), path.join(dataDir, 'jobs'), p.rulesDir, p.logsDir, p.jobsDir].map(real))];
  if (dataDir !== home) inner.push(real(dataDir));
  const f = real(folder);
  const root = roots.find((r) => within(r, f));
  if (root) return `${folder} is or holds dropwork's own folder ${root} (its settings, key, history); a rule may not use it`;
  const own = inner.find((r) => within(f, r));
  if (own) return `${folder} is inside dropwork's own folder ${own}; a rule may not use it`;
  return undefined;
}

/** Located errors for each folder of `rule` that is dropwork's own. */
export function ownFolderErrors(rule: Rule, doc: LocatedDoc, at: PathSegment[], prefix: string, home: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const check = (folder: string | undefined, segments: PathSegment[]): void => {
    const why = folder === undefined ? undefined : ownFolderReason(folder, home);
    if (!why) return;
    const field = [prefix, ...segments.map((s) => (typeof s === 'number' ? `[${s}]` : s))].filter(Boolean).join('.').replace(/\.\[/g, '[');
    errors.push(new ConfigError(locate(doc, [...at, ...segments], field), why));
  };
  const watchIsList = Array.isArray((docValue(doc, at) as { watch?: unknown } | undefined)?.watch);
  rule.watch.forEach((w, i) => check(w, watchIsList ? ['watch', i] : ['watch']));
  check(rule.output, ['output']);
  check(rule.input, ['input']);
  if (rule.after.kind === 'move') check(rule.after.folder, ['after', 'move']);
  return errors;
}

function docValue(doc: LocatedDoc, at: PathSegment[]): unknown {
  let v: unknown = doc.value;
  for (const seg of at) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  return v;
}
