import type { Command } from 'commander';

/**
 * Commands added by the parts beyond the core pipeline (sandbox, service, doctor, ui, approve).
 * Each registers a function here so cli.ts stays one screen long.
 */
const extensions: ((program: Command) => void)[] = [];

export function addCommands(fn: (program: Command) => void): void {
  extensions.push(fn);
}

export function extendCli(program: Command): void {
  for (const fn of extensions) fn(program);
}
