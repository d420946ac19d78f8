import type { Daemon } from './daemon.js';

/**
 * Parts of the daemon that attach to the pipeline from outside it: the agent, the notifier,
 * schedules, the dashboard. Each starts after the queue and watchers are up and stops before
 * the store closes. A plugin that fails to start is logged; the daemon runs on without it.
 */
export interface DaemonPlugin {
  name: string;
  start(daemon: Daemon): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** Called after rules are reloaded. */
  rulesChanged?(daemon: Daemon): void;
  /** Facts for `dropwork status` (stored for the CLI to read). */
  status?(): Record<string, unknown>;
}

const registry: DaemonPlugin[] = [];

export function registerPlugin(plugin: DaemonPlugin): void {
  if (!registry.some((p) => p.name === plugin.name)) registry.push(plugin);
}

export function plugins(): readonly DaemonPlugin[] {
  return registry;
}
