/** Templates cannot climb out of the outputs folder, however they are spelled (issue 11). */
import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/actions/index.js';
import type { Action } from '../../src/rules/rule.js';
import { checkTemplate } from '../../src/rules/template.js';

const ctx = { output: '/out', vars: { rule: 'r', sha256: 'f'.repeat(64), modified: new Date(2025, 6, 4), created: new Date(2025, 6, 4), now: new Date(2026, 0, 1) } };
const a = (kind: Action['kind'], target: string): Action => ({ kind, target, onConflict: 'rename' });

describe('templates that climb', () => {
  it('are refused at load when a format says ".." or starts at the root', () => {
    expect(checkTemplate('{date:../..}')).toMatch(/may not climb out/);
    expect(checkTemplate('{modified:/YYYY}')).toMatch(/may not climb out/);
    expect(checkTemplate('{modified:YYYY/MM}')).toBeUndefined();
  });

  it.each([
    ['move', '{date:.}{date:.}/x'],
    ['copy', '{date:.}{date:.}'],
    ['move', 'a/{date:.}{date:.}/{date:.}{date:.}/..{date:.}'],
    ['rename', '{date:.}{date:.}'],
    ['rename', '{date:.}'],
  ] as const)('fail the job when %s "%s" renders a path that climbs', (kind, target) => {
    expect(checkTemplate(target)).toBeUndefined(); // reads fine: only the rendered path tells
    expect(() => planActions([a(kind, target)], 'x.pdf', ctx)).toThrow(/climbs out of the outputs folder|no file name/);
  });

  it('keep absolute folders the person wrote', () => {
    expect(planActions([a('copy', '/abs/elsewhere')], 'x.pdf', ctx)).toEqual([{ dest: '/abs/elsewhere/x.pdf', onConflict: 'rename' }]);
  });
});
