/**
 * `--expected DIR`: fields the model extracted, scored against expected JSON one field at a
 * time. DIR holds NAME.expected.json per input NAME.ext (an object, or a list whose first item
 * is the object, as invoice2data's test files are). The extracted fields are the first JSON
 * object the model wrote (or the last row of a CSV it wrote, by its header). Two scores per
 * field: exact (the same JSON value) and normalised (case, spacing, currency signs, thousands
 * separators and trailing zeros aside: "$1,234.50" = 1234.5, "ACME  Ltd" = "acme ltd").
 */
import fs from 'node:fs';
import path from 'node:path';
import { asText, parseCsv } from '../program/compare.js';

export type Fields = Record<string, unknown>;

export interface FieldScore {
  field: string;
  expected: unknown;
  got: unknown;
  exact: boolean;
  normalised: boolean;
}

export function expectedFor(dir: string, input: string): Fields | undefined {
  const file = path.join(dir, `${path.basename(input).replace(/\.[^.]+$/, '')}.expected.json`);
  if (!fs.existsSync(file)) return undefined;
  const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  const obj = Array.isArray(v) ? v[0] : v;
  return obj && typeof obj === 'object' ? (obj as Fields) : undefined;
}

/** The fields the model wrote: its first JSON object, else the last row of a CSV. */
export function extracted(produced: ReadonlyMap<string, Buffer>): Fields | undefined {
  const files = [...produced].sort(([a], [b]) => a.localeCompare(b));
  for (const [rel, content] of files) {
    if (!rel.toLowerCase().endsWith('.json')) continue;
    try {
      const v = JSON.parse(content.toString('utf8')) as unknown;
      const obj = Array.isArray(v) ? v.at(-1) : v;
      if (obj && typeof obj === 'object') return obj as Fields;
    } catch { /* not JSON after all: try the next */ }
  }
  for (const [rel, content] of files) {
    const text = rel.toLowerCase().endsWith('.csv') ? asText(content) : undefined;
    const rows = text ? parseCsv(text) : [];
    const [header, ...rest] = rows;
    const last = rest.at(-1);
    if (header && last) return Object.fromEntries(header.map((h, i) => [h.trim(), last[i]?.trim() ?? '']));
  }
  return undefined;
}

export function normalise(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v).trim().toLowerCase().replace(/\s+/g, ' ');
  const money = s.replace(/^[^\d-]*(-?[\d,. ]+)[^\d]*$/, '$1').replace(/[ ,](?=\d{3}\b)/g, '');
  if (/^-?\d+(\.\d+)?$/.test(money)) return String(Number(money));
  return s.replace(/[.,;:]+$/, '');
}

/** Scalar fields only: nested lists (invoice lines) are a task of their own. */
export function scoreFields(expected: Fields, got: Fields | undefined, only?: readonly string[]): FieldScore[] {
  const names = (only?.length ? only : Object.keys(expected)).filter((k) => expected[k] === null || typeof expected[k] !== 'object');
  return names.map((field) => {
    const want = expected[field];
    const have = got?.[field];
    return { field, expected: want, got: have, exact: have !== undefined && JSON.stringify(have) === JSON.stringify(want), normalised: have !== undefined && normalise(have) === normalise(want) };
  });
}
