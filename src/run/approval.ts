import type { Rule } from '../rules/rule.js';
import type { Store } from '../queue/store.js';

/**
 * Whether a finished job must wait for a person before it publishes: always, or for `first`,
 * until a job of the rule's current text has been approved.
 */
export function needsApproval(rule: Rule, store: Store): boolean {
  if (rule.approve === 'never') return false;
  if (rule.approve === 'always') return true;
  const approved = store.getState<string[]>(`approved:${rule.name}`) ?? [];
  return !approved.includes(rule.hash);
}

export function rememberApproval(rule: { name: string; hash: string }, store: Store): void {
  const key = `approved:${rule.name}`;
  const approved = store.getState<string[]>(key) ?? [];
  if (!approved.includes(rule.hash)) store.setState(key, [...approved, rule.hash]);
}
