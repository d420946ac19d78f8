/**
 * Every `](#anchor)` in the README leads to a heading that exists, as GitHub names them
 * (lower case, punctuation dropped, spaces as hyphens, `-1`, `-2` for repeats). Headings inside
 * code blocks (YAML comments) are not headings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

function slugs(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] ?? '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

describe('README links', () => {
  const readme = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');

  it('names headings the way GitHub does', () => {
    expect(slugs('# A\n## Plain-English rules: `do:` and `if:`\n```yaml\n# not a heading\n```\n## A\n')).toEqual(new Set(['a', 'plain-english-rules-do-and-if', 'a-1']));
  });

  it('has a heading for every in-page link', () => {
    const anchors = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    expect(anchors.length).toBeGreaterThan(5);
    const known = slugs(readme);
    expect(anchors.filter((a) => !known.has(a))).toEqual([]);
  });
});
