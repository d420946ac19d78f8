import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/actions/index.js';
import type { Action } from '../../src/rules/rule.js';

const ctx = { output: '/out', vars: { rule: 'r', sha256: 'f'.repeat(64), modified: new Date(2025, 6, 4), created: new Date(2025, 6, 4), now: new Date(2026, 0, 1) } };
const a = (kind: Action['kind'], target: string, onConflict: Action['onConflict'] = 'rename'): Action => ({ kind, target, onConflict });

describe('steps', () => {
  it('copy adds an output and leaves the file where it was', () => {
    expect(planActions([a('copy', 'backup'), a('copy', '/abs/elsewhere')], 'x.pdf', ctx)).toEqual([
      { dest: '/out/backup/x.pdf', onConflict: 'rename' },
      { dest: '/abs/elsewhere/x.pdf', onConflict: 'rename' },
    ]);
  });

  it('move then rename lands once, under the new name, in the moved-to folder', () => {
    expect(planActions([a('move', '{modified:YYYY}/{modified:MM}'), a('rename', '{modified:YYYY-MM-DD} {name}{ext}', 'skip')], 'IMG 1.jpg', ctx)).toEqual([
      { dest: '/out/2025/07/2025-07-04 IMG 1.jpg', onConflict: 'skip' },
    ]);
  });

  it('a rename alone lands at the top of the outputs folder; a copy after it uses the new name', () => {
    expect(planActions([a('rename', '{name}-done{ext}'), a('copy', 'also')], 'n.txt', ctx)).toEqual([
      { dest: '/out/also/n-done.txt', onConflict: 'rename' },
      { dest: '/out/n-done.txt', onConflict: 'rename' },
    ]);
  });
});
