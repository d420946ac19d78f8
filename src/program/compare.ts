/**
 * Does a program's output match what the agent's job published? Same files; the same content,
 * where a CSV is compared cell by cell (trimmed, line endings and quoting aside), other text with
 * its whitespace normalised, and anything else byte for byte. Pure: the replay reads the files.
 */

export interface Difference {
  path: string;
  /** In words, for the history: which file and where it differed. */
  what: string;
}

const SHOW = 60;

function shown(s: string): string {
  const one = JSON.stringify(s);
  return one.length > SHOW ? `${one.slice(0, SHOW - 4)}…"` : one;
}

/** Text when it decodes as UTF-8 without NUL bytes; binary otherwise. */
export function asText(content: Buffer): string | undefined {
  if (content.includes(0)) return undefined;
  const text = content.toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

/** RFC 4180 rows: quoted cells may hold commas, quotes ("") and line breaks. Blank lines are dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const endRow = (): void => {
    row.push(cell);
    if (row.length > 1 || row[0]?.trim() !== '') rows.push(row);
    row = [];
    cell = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell.trim() === '') { quoted = true; cell = ''; i++; continue; }
    if (c === ',') { row.push(cell); cell = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { endRow(); i += 2; continue; }
    if (c === '\n' || c === '\r') { endRow(); i++; continue; }
    cell += c;
    i++;
  }
  if (cell !== '' || row.length) endRow();
  return rows;
}

function compareCsv(rel: string, want: string, got: string): string | undefined {
  const a = parseCsv(want);
  const b = parseCsv(got);
  for (let r = 0; r < Math.max(a.length, b.length); r++) {
    const wa = a[r];
    const gb = b[r];
    if (!wa) return `${rel}: an extra row ${r + 1}: ${shown((gb ?? []).join(','))}`;
    if (!gb) return `${rel}: row ${r + 1} is missing (expected ${shown(wa.join(','))})`;
    for (let c = 0; c < Math.max(wa.length, gb.length); c++) {
      const x = (wa[c] ?? '').trim();
      const y = (gb[c] ?? '').trim();
      if (x !== y) return `${rel}: row ${r + 1}, column ${c + 1}: expected ${shown(x)}, got ${shown(y)}`;
    }
  }
  return undefined;
}

function normalise(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l !== '');
}

function compareText(rel: string, want: string, got: string): string | undefined {
  const a = normalise(want);
  const b = normalise(got);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (a[i] === undefined) return `${rel}: an extra line: ${shown(b[i] ?? '')}`;
    if (b[i] === undefined) return `${rel}: a line is missing: ${shown(a[i] ?? '')}`;
    return `${rel}: line ${i + 1}: expected ${shown(a[i] ?? '')}, got ${shown(b[i] ?? '')}`;
  }
  return undefined;
}

/** One file's content; undefined when it matches. */
export function compareFile(rel: string, want: Buffer, got: Buffer): string | undefined {
  if (want.equals(got)) return undefined;
  const a = asText(want);
  const b = asText(got);
  if (a === undefined || b === undefined) return `${rel}: the content differs (${want.length} bytes expected, ${got.length} written)`;
  return rel.toLowerCase().endsWith('.csv') ? compareCsv(rel, a, b) : compareText(rel, a, b);
}

/** Every difference between the files expected and the files written (both by path). */
export function compareOutputs(expected: ReadonlyMap<string, Buffer>, produced: ReadonlyMap<string, Buffer>): Difference[] {
  const out: Difference[] = [];
  for (const [rel, want] of [...expected].sort(([a], [b]) => a.localeCompare(b))) {
    const got = produced.get(rel);
    if (!got) { out.push({ path: rel, what: `${rel} was not written` }); continue; }
    const what = compareFile(rel, want, got);
    if (what) out.push({ path: rel, what });
  }
  for (const rel of [...produced.keys()].sort()) {
    if (!expected.has(rel)) out.push({ path: rel, what: `${rel} was written, but the agent's job did not write it` });
  }
  return out;
}
