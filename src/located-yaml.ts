import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type Location } from './errors.js';

/** One YAML document with what is needed to point at any of its fields. */
export interface LocatedDoc {
  value: unknown;
  doc: Document.Parsed;
  lines: LineCounter;
  file: string;
}

/** Parse every YAML document in a file; syntax errors come back located, never thrown. */
export function parseYamlFile(text: string, file: string): { docs: LocatedDoc[]; errors: ConfigError[] } {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [];
  const docs: LocatedDoc[] = [];
  const errors: ConfigError[] = [];
  for (const doc of all) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      errors.push(new ConfigError({ file, line: pos.line, col: pos.col, field: '' }, firstLine(e.message)));
    }
    if (doc.errors.length === 0) docs.push({ value: doc.toJS({ maxAliasCount: 100 }), doc, lines, file });
  }
  return { docs, errors };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
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
  return { file: located.file, line: pos.line, col: pos.col, field };
}

/** Zod's complaints as located ConfigErrors, one per problem. */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  located: LocatedDoc,
  base: readonly PathSegment[] = [],
  fieldPrefix: readonly PathSegment[] = base,
): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const issue of issues) {
    const rel = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const segs = [...base, ...rel, key];
        const loc = locate(located, segs, fieldName([...fieldPrefix, ...rel, key]));
        errors.push(new ConfigError(loc, `unknown key "${key}"${suggest(key)}`));
      }
      continue;
    }
    const loc = locate(located, [...base, ...rel], fieldName([...fieldPrefix, ...rel]));
    errors.push(new ConfigError(loc, issue.message));
  }
  return errors;
}

/** Keys people type by accident, mapped to what they meant. */
const LIKELY: Record<string, string> = {
  folder: 'watch', inbox: 'watch', outputs: 'output', glob: 'files', pattern: 'files',
  action: 'actions', task: 'do', prompt: 'do', when: 'if', condition: 'if', cron: 'schedule',
};

function suggest(key: string): string {
  const hint = LIKELY[key.toLowerCase()];
  return hint ? ` (did you mean "${hint}"?)` : '';
}
