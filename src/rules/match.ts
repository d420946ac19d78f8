import path from 'node:path';
import { globMatches } from './glob.js';
import type { Rule } from './rule.js';

/** Names that are never a person's document: OS litter and files still being downloaded. */
const NEVER = [/^\./, /^~\$/, /^\.~lock/i, /\.(part|crdownload|tmp|swp|download)$/i, /^Thumbs\.db$/i, /^desktop\.ini$/i];

export function isIgnoredName(name: string): boolean {
  return NEVER.some((re) => re.test(name));
}

export type MatchResult = { match: true; inbox: string; relative: string } | { match: false; why: string };

/** Whether a file belongs to a rule, and when not, the one reason a person would want to know. */
export function matchFile(rule: Rule, file: string): MatchResult {
  // A file in the rule's own outputs folder is not refused here: a rule may watch its outputs
  // (rename in place). Its own results are known by content instead (watch/decide.ts).
  const abs = path.resolve(file);
  const inbox = rule.watch.find((w) => isInside(abs, w));
  if (!inbox) {
    return { match: false, why: rule.watch.length ? `it is not in ${rule.watch.length === 1 ? 'the inbox' : 'any inbox'} ${rule.watch.join(', ')}` : 'the rule watches no inbox' };
  }
  const relative = path.relative(inbox, abs).split(path.sep).join('/');
  const parts = relative.split('/');
  const hidden = parts.find((p) => isIgnoredName(p));
  if (hidden !== undefined) return { match: false, why: `"${hidden}" is a hidden, temporary or partial file, which dropwork never touches` };
  if (parts.length > 1 && !rule.recursive) return { match: false, why: 'it is in a subfolder and the rule has recursive: false' };
  const glob = rule.files.find((g) => globMatches(g, relative));
  if (!glob) return { match: false, why: `its name matches none of files: ${rule.files.join(', ')}` };
  return { match: true, inbox, relative };
}

/**
 * Whether the rule's `files:` would take this file, wherever it is: `run FILE --rule` queues a
 * file from outside the inboxes too, but not one the rule would never take (a photo for a rule of
 * PDFs) unless the person says --force. The name is matched as in the inbox it is in, if any.
 */
export function filesTake(rule: Rule, file: string): { ok: true } | { ok: false; why: string } {
  const abs = path.resolve(file);
  const inbox = rule.watch.find((w) => isInside(abs, w));
  const relative = inbox ? path.relative(inbox, abs).split(path.sep).join('/') : path.basename(abs);
  const hidden = relative.split('/').find((p) => isIgnoredName(p));
  if (hidden !== undefined) return { ok: false, why: `"${hidden}" is a hidden, temporary or partial file, which the rule never takes` };
  if (rule.files.some((g) => globMatches(g, relative))) return { ok: true };
  return { ok: false, why: `its name matches none of the rule's files: ${rule.files.join(', ')}` };
}

export function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
