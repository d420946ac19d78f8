/**
 * May this job ask the model now? Not when today's budget is spent, not without a key, and not
 * with a key the API already refused: each case is a `waiting` job with a reason a person can
 * act on, and the daemon plugin resumes it when the cause goes away. The budget holds for
 * every provider, a local one included (whose tokens cost what `prices:` says, $0 unless set).
 */
import type { Config } from '../config.js';
import { WaitJob } from '../errors.js';
import type { Store } from '../queue/store.js';
import { checkDailyBudget } from './budget.js';
import { findKeyFor, isRejected, keyVariable, markRejected, noKeyForReason, noKeyReason, rejectedReason, type Credentials } from './credentials.js';
import { providerSettings, type ProviderSettings } from './provider.js';
import type { KeyRejectedError } from './request.js';

export function readyToAsk(store: Store, config: Config, home: string, settings: ProviderSettings = providerSettings(config, undefined)): Credentials {
  checkDailyBudget(store, config);
  const creds = findKeyFor(home, settings);
  const variable = keyVariable(settings);
  if (!creds) throw new WaitJob(variable ? noKeyForReason(home, settings.name, variable) : noKeyReason(home));
  if (isRejected(store, creds)) throw new WaitJob(rejectedReason(home, null, creds.variable));
  return creds;
}

/** A 401/403: remembered, so the next jobs with this key wait without asking. */
export function waitForNewKey(store: Store, creds: Credentials, home: string, err: KeyRejectedError): WaitJob {
  markRejected(store, creds, err.status);
  return new WaitJob(`${rejectedReason(home, err.status, creds.variable)} (${err.message})`, undefined, true);
}
