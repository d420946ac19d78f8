import type { Check } from '../check.js';
import { apiKeyCheck } from './api-key.js';
import { connectorsCheck } from './connectors.js';
import { databaseCheck } from './database.js';
import { diskCheck } from './disk.js';
import { nodeCheck } from './node.js';
import { notificationsCheck } from './notifications.js';
import { providerCheck } from './provider.js';
import { providersCheck } from './providers.js';
import { rulesCheck } from './rules.js';
import { sandboxCheck } from './sandbox.js';
import { serviceCheck } from './service.js';
import { teamClockCheck, teamDatabaseCheck, teamSchemaCheck } from './team-database.js';
import { undoCheck } from './undo.js';
import { watchLimitCheck } from './watch-limit.js';

/** Every check, in the order they are printed. */
export const CHECKS: Check[] = [
  nodeCheck,
  databaseCheck,
  teamDatabaseCheck,
  teamSchemaCheck,
  teamClockCheck,
  rulesCheck,
  providerCheck,
  apiKeyCheck,
  providersCheck,
  sandboxCheck,
  connectorsCheck,
  notificationsCheck,
  watchLimitCheck,
  diskCheck,
  undoCheck,
  serviceCheck,
];
