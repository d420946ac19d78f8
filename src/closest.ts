/**
 * The known word a typo most likely meant, for "did you mean" hints on keys and values.
 * Edit distance with transpositions (so "netwrok" finds "network"), ignoring case and - vs _.
 */

/** Words people use for a key, mapped to the key dropwork calls it. Used only where that key exists. */
const SYNONYMS: Record<string, string> = {
  folder: 'watch', inbox: 'watch', source: 'watch', outputs: 'output', destination: 'output', dest: 'output',
  glob: 'files', pattern: 'files', patterns: 'files', action: 'actions', steps: 'actions', task: 'do',
  prompt: 'do', when: 'if', condition: 'if', cron: 'schedule', tz: 'timezone', budget: 'daily_budget_usd',
  conflict: 'on_conflict', network_access: 'network', timeout: 'max_command_s', url: 'base_url',
};

export function closest(word: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const w = normal(word);
  const synonym = SYNONYMS[w];
  if (synonym && known.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(w, normal(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  // A third of the word may be wrong, at least one letter: "nam" → "name", not "x" → "if".
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(w.length / 3))) return best;
  // "output_folder", "max_cost": one key is the other with a word more or less.
  const part = known.find((k) => {
    const n = normal(k);
    return n.length >= 4 && w.length >= 4 && (w.startsWith(n) || w.endsWith(n) || n.startsWith(w));
  });
  return part;
}

/** ` (did you mean "x"?)`, or nothing. */
export function didYouMean(word: string, known: readonly string[]): string {
  const hint = closest(word, known);
  return hint && hint !== word ? ` (did you mean "${hint}"?)` : '';
}

function normal(s: string): string {
  return s.trim().toLowerCase().replace(/[-\s]/g, '_');
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function distance(a: string, b: string): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return Infinity;
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const prev = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = d;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
