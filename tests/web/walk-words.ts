/**
 * The checks of the walk (issue 19): every text a person reads, on a dashboard page or in the
 * terminal, says nothing false about a job. Shared by the one-machine walk (walk.test.ts) and the
 * team's (walk-team.test.ts).
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const ZONE = 'Europe/Paris';
export const ISO_Z = /\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z/;
export const MARK = /UTC[+-]\d\d:\d\d/;
export const CLOCK = /\b\d\d:\d\d\b/;
export const NOTHING = /\b(null|undefined|NaN)\b|\[object Object\]/;
export const UNFINISHED = ['queued', 'running', 'waiting'];

/** Adds the keys of an API's or `--json`'s answer to `into`: raw field names no sentence should show. */
export function collectKeys(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) return value.forEach((v) => collectKeys(v, into));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('_')) into.add(k);
    collectKeys(v, into);
  }
}

/** The checks every text a person reads must pass; `where` names it in a failure. */
export function expectTrueWords(text: string, where: string, rawKeys: Set<string>): void {
  expect(text, where).not.toMatch(NOTHING);
  expect(text, where).not.toMatch(ISO_Z);
  for (const key of rawKeys) expect(text, `${where}: the raw field name ${key}`).not.toMatch(new RegExp(`(^|[^\\w.-])${key}([^\\w-]|$)`));
}

/** A dashboard page's visible text, once `ready` is on it. */
export async function pageText(page: Page, url: string, ready: string): Promise<string> {
  await page.goto(url);
  await page.locator(ready).first().waitFor({ timeout: 20_000 });
  // Live updates settle (a burst of events is one refresh, 150 ms).
  await page.waitForLoadState('networkidle');
  // A page that failed to draw says so in a toast (its refresh catches the error).
  expect(await page.locator('.toast.error').allTextContents(), url).toEqual([]);
  return page.evaluate('document.body.innerText') as Promise<string>;
}
