/**
 * The daily budget: once today's agent spending (every job started since local midnight)
 * reaches config's `daily_budget_usd`, new agent jobs wait until the next local midnight, or
 * until the budget is raised (the daemon plugin re-reads config.yaml and resumes them).
 * A running job is not stopped halfway: its own `max_cost_usd` bounds it.
 */
import type { Config } from '../config.js';
import { WaitJob } from '../errors.js';
import type { Store } from '../queue/store.js';
import { formatUsd } from './pricing.js';

export const BUDGET_REACHED = 'daily budget reached';

export function nextMidnight(now = new Date()): number {
  const d = new Date(now);
  d.setHours(24, 0, 0, 0);
  return d.getTime();
}

export function checkDailyBudget(store: Store, config: Config, now = new Date()): void {
  const spent = store.spentToday(now);
  if (spent >= config.daily_budget_usd) {
    throw new WaitJob(`${BUDGET_REACHED}: ${formatUsd(spent)} spent today of daily_budget_usd ${formatUsd(config.daily_budget_usd)}; waiting for tomorrow or a higher budget`, nextMidnight(now));
  }
}
