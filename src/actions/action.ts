import path from 'node:path';
import { UnrecoverableError } from '../errors.js';
import { renderTemplate, renderedProblem, type TemplateVars } from '../rules/template.js';
import type { Action } from '../rules/rule.js';

/**
 * Where the job's file is as the steps run: the original's content, and where in the outputs
 * folder it will land. `dest` stays undefined until a move or rename places it.
 */
export interface CurrentFile {
  name: string;
  dest?: string | undefined;
}

/** A file the job will publish: `dest` is absolute, inside the rule's outputs folder. */
export interface PlannedOutput {
  dest: string;
  onConflict: Action['onConflict'];
}

export interface StepContext {
  output: string;
  vars: Omit<TemplateVars, 'name' | 'ext'>;
}

export interface ActionStep {
  kind: Action['kind'];
  /** Applies the step to the current file; returns the new current file and any extra output. */
  apply(current: CurrentFile, action: Action, ctx: StepContext): { current: CurrentFile; extra?: PlannedOutput };
  /** One line for `rules test` and the job's step log. */
  describe(action: Action): string;
}

export function render(template: string, current: CurrentFile, ctx: StepContext): string {
  const ext = path.extname(current.name);
  const rendered = renderTemplate(template, { ...ctx.vars, name: path.basename(current.name, ext), ext });
  const problem = renderedProblem(template, rendered);
  if (problem) throw new UnrecoverableError(problem);
  return rendered;
}

/** A folder of the rule, under its outputs folder unless absolute. */
export function folderOf(template: string, current: CurrentFile, ctx: StepContext): string {
  return path.resolve(ctx.output, render(template, current, ctx));
}
