import fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, errorMessage, type Location } from './errors.js';
import { checkText, decodeText, findRefusals, MAX_FILE_BYTES, tooBig } from './yaml-guard.js';
import { explainRefusal, explainYamlError } from './yaml-words.js';
import { describeIssue, knownKeysAt, unknownKey, valueAt } from './zod-words.js';

/** One YAML document with what is needed to point at any of its fields. */
export interface LocatedDoc {
  value: unknown;
  doc: Document.Parsed;
  lines: LineCounter;
  file: string;
}

/** Past the first few, YAML's errors are echoes of the first; past twenty, nobody reads on. */
const MAX_SYNTAX_ERRORS_PER_DOC = 3;
const MAX_ERRORS_PER_FILE = 20;

/**
 * A settings file as text, or one located error saying why it cannot be: unreadable, too big,
 * not UTF-8. Never throws.
 */
export function readYamlFile(file: string): { text: string } | { error: ConfigError } {
  const at = (line: number, col: number, message: string) => ({ error: new ConfigError({ file, line, col, field: '' }, message) });
  try {
    const size = fs.statSync(file).size;
    // Checked before reading: a multi-gigabyte file dropped in must not be read into memory.
    if (size > MAX_FILE_BYTES) return at(1, 1, tooBig(size));
    const bytes = fs.readFileSync(file);
    const decoded = decodeText(bytes);
    if ('text' in decoded) return { text: decoded.text };
    const good = new TextDecoder('utf-8').decode(bytes).slice(0, decoded.offset);
    const lines = good.split('\n');
    return at(lines.length, (lines[lines.length - 1]?.length ?? 0) + 1, decoded.message);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read: permission denied' : `cannot be read: ${errorMessage(err)}`;
    return at(1, 1, why);
  }
}

/**
 * Parse every YAML document in a file. Every problem comes back located and in plain words,
 * never thrown: syntax errors, and what dropwork refuses (aliases, anchors, tags, deep nesting,
 * control characters). A document with any problem yields no value.
 */
export function parseYamlFile(text: string, file: string): { docs: LocatedDoc[]; errors: ConfigError[] } {
  const lines = new LineCounter();
  const errors: ConfigError[] = [];
  const at = (offset: number, message: string): ConfigError => {
    const pos = lines.linePos(Math.max(0, Math.min(offset, text.length)));
    return new ConfigError({ file, line: Math.max(1, pos.line), col: Math.max(1, pos.col), field: '' }, message);
  };
  const problem = checkText(text);
  if (problem) {
    positionsOf(text, lines);
    return { docs: [], errors: [at(problem.offset, problem.message)] };
  }
  let all: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    all = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    // The parser reports its errors; this is for what it did not foresee.
    return { docs: [], errors: [new ConfigError({ file, line: 1, col: 1, field: '' }, `YAML cannot read this file: ${errorMessage(err)}`)] };
  }
  const lineText = (line: number): string => {
    const start = lines.lineStarts[line - 1] ?? text.length;
    const end = lines.lineStarts[line] ?? text.length;
    return text.slice(start, end).replace(/\r?\n$/, '');
  };
  const docs: LocatedDoc[] = [];
  for (const doc of all) {
    const before = errors.length;
    const seen = new Set<string>();
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      const message = explainYamlError(e, lineText(pos.line), lineText(pos.line + 1), pos.col);
      const key = `${pos.line}:${message.replace(/ \[YAML: .*$/, '')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (errors.length - before < MAX_SYNTAX_ERRORS_PER_DOC) errors.push(at(e.pos[0], message));
    }
    if (errors.length > before) continue;
    // One refusal per line is enough to find them all (an alias bomb has hundreds).
    const refusedLines = new Set<number>();
    for (const r of findRefusals(doc)) {
      const offset = refusalOffset(text, r.node, r.kind);
      const pos = lines.linePos(offset);
      if (refusedLines.has(pos.line)) continue;
      refusedLines.add(pos.line);
      errors.push(at(offset, explainRefusal(r.kind, lineText(pos.line), pos.col, r.depth)));
    }
    if (errors.length > before) continue;
    try {
      docs.push({ value: doc.toJS({ maxAliasCount: 0 }), doc, lines, file });
    } catch (err) {
      errors.push(at(doc.contents?.range?.[0] ?? 0, `YAML cannot read this: ${errorMessage(err)}`));
    }
  }
  return { docs, errors: capped(errors, file) };
}

/** Where the `&name` or `!tag` of a node is written: the node's range starts after them. */
function refusalOffset(text: string, node: Node, kind: string): number {
  const start = node.range?.[0] ?? 0;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const mark = kind === 'anchor' ? `&${node.anchor ?? ''}` : kind === 'tag' ? '!' : '';
  if (!mark) return start;
  const found = text.lastIndexOf(mark, start);
  return found >= lineStart ? found : start;
}

/** Fill the line counter for a text that was never parsed, so offsets still map to lines. */
function positionsOf(text: string, lines: LineCounter): void {
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
}

function capped(errors: ConfigError[], file: string): ConfigError[] {
  if (errors.length <= MAX_ERRORS_PER_FILE) return errors;
  const last = errors[MAX_ERRORS_PER_FILE - 1] as ConfigError;
  return [
    ...errors.slice(0, MAX_ERRORS_PER_FILE),
    new ConfigError({ file, line: last.location.line, col: last.location.col, field: '' }, `and ${errors.length - MAX_ERRORS_PER_FILE} more problem(s) in this file, shown once these are fixed`),
  ];
}

export type PathSegment = string | number;

export function fieldName(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/**
 * The line and column of a field: the key itself when the field exists (so the editor jumps
 * to the offending key), else the nearest parent that does.
 */
export function locate(located: LocatedDoc, segments: readonly PathSegment[], field = fieldName(segments)): Location {
  let node: Node | null = located.doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const pos = located.lines.linePos(offset);
  return { file: located.file, line: Math.max(1, pos.line), col: Math.max(1, pos.col), field };
}

/** How a scalar was written (`~` for an empty value), when the field is a scalar. */
function sourceAt(located: LocatedDoc, segments: readonly PathSegment[]): string | undefined {
  const node = located.doc.getIn(segments, true);
  return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
}

/**
 * Zod's complaints as located ConfigErrors, one per problem, in plain words. With `schema`, an
 * unknown key gets the closest known key at its own level as a suggestion.
 */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  located: LocatedDoc,
  base: readonly PathSegment[] = [],
  fieldPrefix: readonly PathSegment[] = base,
  schema?: z.core.$ZodType,
): ConfigError[] {
  const errors: ConfigError[] = [];
  const typoAt = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => JSON.stringify(i.path)));
  for (const issue of issues) {
    const rel = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    // "needs copy, move or rename" beside "unknown key copyy (did you mean copy?)" is one problem said twice.
    if (issue.code === 'custom' && issue.params?.unlessUnknownKey === true && typoAt.has(JSON.stringify(issue.path))) continue;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, rel);
      for (const key of issue.keys) {
        const loc = locate(located, [...base, ...rel, key], fieldName([...fieldPrefix, ...rel, key]));
        errors.push(new ConfigError(loc, unknownKey(key, known)));
      }
      continue;
    }
    const loc = locate(located, [...base, ...rel], fieldName([...fieldPrefix, ...rel]));
    errors.push(new ConfigError(loc, describeIssue(issue, valueAt(located.value, [...base, ...rel]), knownKeysAt(schema, rel), sourceAt(located, [...base, ...rel]))));
  }
  return errors;
}
