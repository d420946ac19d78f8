/**
 * A rule named on the command line or in an API path that does not exist is refused, with the
 * closest name: `rules revert nosuch` must not answer "no finished jobs of nosuch", which reads
 * as if all were well (issue 19).
 */
import { closest } from '../closest.js';
import type { Store } from '../queue/store.js';

/**
 * The names a command that reads the history may be given: the rules loaded now, and those the
 * history alone still knows (a rule removed since keeps its jobs, which can be listed and reverted).
 */
export function knownRuleNames(current: Iterable<string>, store?: Pick<Store, 'db'>): string[] {
  const names = new Set(current);
  if (store) for (const r of store.db.prepare('SELECT DISTINCT rule FROM jobs').all() as { rule: string }[]) names.add(r.rule);
  return [...names];
}

/** `no rule named "recipts" (did you mean "receipts"?); rules: a, b` */
export function noRuleNamed(name: string, known: readonly string[]): string {
  const hint = closest(name, known);
  const mean = hint && hint !== name ? ` (did you mean "${hint}"?)` : '';
  return `no rule named "${name}"${mean}; rules: ${known.length ? [...known].sort().join(', ') : 'none'}`;
}
