import type { Rule } from '../rules/rule.js';
import { compileOffWhy } from '../rules/warnings.js';

export type CompileMode = 'off' | 'suggest' | 'auto';

/** Step kinds the program runner adds to a job's history: the program did the file, or gave it to the agent. */
export const PROGRAM_STEP = 'program';
export const FALLBACK_STEP = 'fallback';

/**
 * Whether the rule learns a program: as it says, else `suggest` for a `do:` rule where a
 * sandbox can run one, `off` where none can (a program never runs on the host). A rule's `if:`
 * stays the small model's (runners.ts decides it before the program runs); the program learns
 * only the `do:`, from the files the condition let through.
 */
export function compileMode(rule: Pick<Rule, 'do' | 'if' | 'compile' | 'schedule' | 'watch'>, sandbox: 'docker' | 'bubblewrap' | 'none'): { mode: CompileMode; why: string } {
  const off = compileOffWhy(rule, undefined);
  if (off) return { mode: 'off', why: off };
  if (rule.compile.mode === 'off') return { mode: 'off', why: 'the rule says compile: off' };
  if (sandbox === 'none') return { mode: 'off', why: 'no sandbox here to run a program in' };
  if (rule.compile.mode) return { mode: rule.compile.mode, why: `the rule says compile: ${rule.compile.mode}` };
  return { mode: 'suggest', why: 'the default for do: rules with a sandbox' };
}

/**
 * The rule's compile mode in plain words, for `rules check` and `status`: what will happen, and
 * for `off`, why. `sandbox`: what was found here (its kind, and why there is none).
 */
export function describeMode(rule: Pick<Rule, 'name' | 'compile'>, { mode, why }: { mode: CompileMode; why: string }, sandbox?: { kind: string; reason: string }): string {
  if (mode === 'off') return `compile: off (${why}${sandbox?.kind === 'none' && why.startsWith('no sandbox') ? `: ${sandbox.reason}` : ''}): the agent does every file`;
  const where = sandbox ? `, with ${sandbox.kind} here` : '';
  const runs = mode === 'auto' ? 'it runs as soon as it reproduces every example' : `it runs once you approve it (dropwork rules program ${rule.name})`;
  return `compile: ${mode} (${why}${where}): learns a program after ${rule.compile.after} agent jobs; ${runs}`;
}
