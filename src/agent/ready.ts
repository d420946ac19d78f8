/**
 * May this job ask the model now? Not when today's budget is spent, not without a key, and not
 * with a key the API already refused: each case is a `waiting` job with a reason a person can
 * act on, and the daemon plugin resumes it when the cause goes away.
 */
import type { Config } from '../config.js';
import { WaitJob } from '../errors.js';
import type { Store } from '../queue/store.js';
import { checkDailyBudget } from './budget.js';
import { findCredentials, isRejected, markRejected, noKeyReason, rejectedReason, type Credentials } from './credentials.js';
import type { KeyRejectedError } from './request.js';

export function readyToAsk(store: Store, config: Config, home: string): Credentials {
  checkDailyBudget(store, config);
  const creds = findCredentials(home);
  if (!creds) throw new WaitJob(noKeyReason(home));
  if (isRejected(store, creds)) throw new WaitJob(rejectedReason(home, null));
  return creds;
}

/** A 401/403: remembered, so the next jobs with this key wait without asking. */
export function waitForNewKey(store: Store, creds: Credentials, home: string, err: KeyRejectedError): WaitJob {
  markRejected(store, creds, err.status);
  return new WaitJob(`${rejectedReason(home, err.status)} (${err.message})`, undefined, true);
}
