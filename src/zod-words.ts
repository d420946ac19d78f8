import type { z } from 'zod';
import { didYouMean } from './closest.js';

/**
 * Zod's complaints in plain words ("must be a number, not "lots"") with a "did you mean" for
 * typos of keys and values at every level. Messages written in the schema (`error:` or a
 * refinement) are already plain and pass through unchanged.
 */

type Issue = z.core.$ZodIssue;
type Segment = string | number;

const WHAT: Record<string, string> = {
  number: 'a number', int: 'a whole number', boolean: 'true or false', string: 'text', array: 'a list',
  object: 'a mapping (lines of "key: value")', record: 'a mapping (lines of "key: value")',
};

/** zod's own wording starts like this; anything else was written for people already. */
const ZOD_DEFAULT = /^(Invalid (input|option|URL|string|element|key)|Too (small|big)|Unrecognized key)/;

export function describeIssue(issue: Issue, value: unknown, known: readonly string[], source?: string): string {
  if (value === null && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) return emptyIssue(issue, source);
  if (!ZOD_DEFAULT.test(issue.message)) return withValue(issue, value);
  switch (issue.code) {
    case 'invalid_type': {
      const want = WHAT[issue.expected] ?? issue.expected;
      if (value === undefined) return `is required: ${want}`;
      if (value === null) return `is empty: it must be ${want}`;
      return `must be ${want}, not ${shown(value)}`;
    }
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'set') return 'needs at least one item';
      if (issue.origin === 'string') return 'must not be empty';
      return issue.inclusive ? `must be at least ${String(issue.minimum)}, not ${shown(value)}` : `must be more than ${String(issue.minimum)}, not ${shown(value)}`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'set') return `may have at most ${String(issue.maximum)} items`;
      if (issue.origin === 'string') return `may be at most ${String(issue.maximum)} characters long`;
      return issue.inclusive ? `must be at most ${String(issue.maximum)}, not ${shown(value)}` : `must be less than ${String(issue.maximum)}, not ${shown(value)}`;
    case 'invalid_value': {
      const options = issue.values.map((v) => String(v));
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return `must be ${orList(options)}, not ${shown(value)}${hint}`;
    }
    case 'invalid_format':
      if (issue.format === 'url') return `must be a web address such as "https://example.com", not ${shown(value)}`;
      return `is not a valid ${issue.format}: ${shown(value)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"${didYouMean(k, known)}`).join(', ')}`;
    case 'invalid_union':
      return `has the wrong form: ${shown(value)}`;
    default:
      return issue.message;
  }
}

/** `"unknown key "x" (did you mean "y"?)"` for one key. */
export function unknownKey(key: string, known: readonly string[]): string {
  // A step written at the level of the rule (a list item's "- " lost): say where it belongs.
  if (STEPS.includes(key) && known.includes('actions')) return `"${key}" is a step, not a key of the rule: put it in the \`actions:\` list, as "  - ${key}: ..." (one step per "- " item)`;
  return `unknown key "${key}"${didYouMean(key, known)}`;
}

const STEPS = ['copy', 'move', 'rename'];

/**
 * A message the schema wrote ("must be keep, trash, or move: FOLDER") with the value that was
 * given and, for a typo of one of the allowed words, the closest: `, not "trsh" (did you mean "trash"?)`.
 */
function withValue(issue: Issue, value: unknown): string {
  if (!issue.message.startsWith('must be') || value === undefined) return issue.message;
  if (issue.code !== 'invalid_value' && issue.code !== 'invalid_union' && issue.code !== 'invalid_type') return issue.message;
  const hint = typeof value === 'string' ? didYouMean(value, allowedWords(issue)) : '';
  return `${issue.message}, not ${shown(value)}${hint}`;
}

/** The literal words an enum or a union of literals allows. */
function allowedWords(issue: Issue): string[] {
  if (issue.code === 'invalid_value') return issue.values.map((v) => String(v));
  if (issue.code === 'invalid_union') return issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' ? i.values.map((v) => String(v)) : []));
  return [];
}

/**
 * A key with nothing after it, or YAML's words for nothing (`~`, `null`). A bare ~ is the
 * surprise: in a shell it is the home folder, in YAML it is "no value".
 */
function emptyWords(source: string | undefined, folder: boolean): string {
  if (source === '~') return `is empty: YAML reads a bare ~ as "no value"${folder ? ', not as your home folder (write a folder such as ~/Inbox)' : ''}`;
  if (source === 'null' || source === 'Null' || source === 'NULL') return 'is empty: YAML reads null as "no value"';
  return 'is empty';
}

/** A key left empty: said as empty, then what it should hold. */
function emptyIssue(issue: Issue, source: string | undefined): string {
  const empty = emptyWords(source, /folder/.test(issue.message));
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message.startsWith('must be') ? `${empty}: it ${issue.message}` : `${empty}: ${issue.message}`;
  if (issue.code === 'invalid_type') return `${empty}: it must be ${WHAT[issue.expected] ?? issue.expected}`;
  if (issue.code === 'invalid_value') return `${empty}: it must be ${orList(issue.values.map((v) => String(v)))}`;
  return empty;
}

/** The value at a path of a plain JS value, or undefined. */
export function valueAt(root: unknown, segments: readonly Segment[]): unknown {
  let v: unknown = root;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

/**
 * The keys a mapping at `segments` may have, read from the schema itself, so suggestions follow
 * the schema as it grows (a new key is suggested the moment it exists).
 */
export function knownKeysAt(schema: z.core.$ZodType | undefined, segments: readonly Segment[]): string[] {
  let node = schema;
  for (const seg of segments) {
    node = node && child(node, seg);
    if (!node) return [];
  }
  return node ? objectKeys(node) : [];
}

interface Def {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  valueType?: z.core.$ZodType;
}

function defOf(s: z.core.$ZodType): Def {
  return s._zod.def as unknown as Def;
}

/** Through optional/default/pipe wrappers to the schema that decides the shape. */
function unwrap(s: z.core.$ZodType): z.core.$ZodType[] {
  const d = defOf(s);
  if (d.innerType) return unwrap(d.innerType);
  if (d.type === 'pipe' && d.in) return unwrap(d.in);
  if (d.type === 'union' && d.options) return d.options.flatMap(unwrap);
  return [s];
}

function child(s: z.core.$ZodType, seg: Segment): z.core.$ZodType | undefined {
  for (const u of unwrap(s)) {
    const d = defOf(u);
    if (d.type === 'object' && typeof seg === 'string' && d.shape?.[seg]) return d.shape[seg];
    if (d.type === 'array' && typeof seg === 'number' && d.element) return d.element;
    if (d.type === 'record' && d.valueType) return d.valueType;
  }
  return undefined;
}

function objectKeys(s: z.core.$ZodType): string[] {
  return unwrap(s).flatMap((u) => {
    const d = defOf(u);
    return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
  });
}

function orList(options: string[]): string {
  if (options.length <= 1) return options.join('');
  return `${options.slice(0, -1).join(', ')} or ${options[options.length - 1] ?? ''}`;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'empty';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
