import type { Config } from '../config.js';
import type { Events } from '../events.js';
import type { Logger } from '../log.js';
import type { Paths } from '../paths.js';
import type { Store } from '../queue/store.js';
import type { RuleSet } from '../rules/registry.js';

/** What the dashboard reads and acts through: the daemon's own store, rules and events. */
export interface WebDeps {
  store: Store;
  paths: Paths;
  log: Logger;
  config: () => Config;
  /** The rules as the daemon runs them, with the errors of the files it could not load. */
  ruleSet: () => RuleSet;
  /** The daemon's events, for live pages; without them the pages follow the database alone. */
  events?: Events | undefined;
  /** Look for queued work now (after a retry from the dashboard) rather than at the next poll. */
  wake?: (() => void) | undefined;
}
