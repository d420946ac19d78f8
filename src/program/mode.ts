import type { Rule } from '../rules/rule.js';
import { compileOffWhy } from '../rules/warnings.js';

export type CompileMode = 'off' | 'suggest' | 'auto';

/** Step kinds the program runner adds to a job's history: the program did the file, or gave it to the agent. */
export const PROGRAM_STEP = 'program';
export const FALLBACK_STEP = 'fallback';

/**
 * Whether the rule learns a program: as it says, else `suggest` for a `do:` rule where a
 * sandbox can run one, `off` where none can (a program never runs on the host). Rules with an
 * `if:` are not compiled yet: their condition is decided per file, and a compile job has none.
 */
export function compileMode(rule: Pick<Rule, 'do' | 'if' | 'compile' | 'schedule'>, sandbox: 'docker' | 'bubblewrap' | 'none'): { mode: CompileMode; why: string } {
  const off = compileOffWhy(rule, undefined);
  if (off) return { mode: 'off', why: off };
  if (sandbox === 'none') return { mode: 'off', why: 'no sandbox here to run a program in' };
  if (rule.compile.mode) return { mode: rule.compile.mode, why: `compile: ${rule.compile.mode}` };
  return { mode: 'suggest', why: 'the default for do: rules with a sandbox' };
}
