/** The kept decisions of `if:` conditions, against each store (SQLite and PostgreSQL). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conditionKey, keepDecision, keptDecision } from '../../src/agent/condition-cache.js';
import type { Store } from '../../src/queue/store.js';
import { stores } from '../support/stores.js';

describe.each(stores())('kept condition decisions ($name)', (backend) => {
  let store: Store;
  beforeEach(() => { store = backend.open(backend.fresh()); });
  afterEach(() => store.close());

  it('answers the same rule, content and condition; a new condition text is a new question', () => {
    const rule = { name: 'notes', if: 'these are meeting notes' };
    const key = conditionKey(rule, 'sha-a');
    expect(keptDecision(store.db, key)).toBeUndefined();
    keepDecision(store.db, key, { rule: 'notes', sha256: 'sha-a', match: true, reason: 'minutes of a meeting', model: 'claude-haiku-4-5', costUsd: 0.0004 });
    expect(keptDecision(store.db, key)).toEqual({ match: true, reason: 'minutes of a meeting', model: 'claude-haiku-4-5' });
    expect(keptDecision(store.db, conditionKey({ ...rule, if: 'these are invoices' }, 'sha-a'))).toBeUndefined();
    expect(keptDecision(store.db, conditionKey(rule, 'sha-b'))).toBeUndefined();
    keepDecision(store.db, key, { rule: 'notes', sha256: 'sha-a', match: false, reason: 'a receipt', model: 'm2', costUsd: 0 });
    expect(keptDecision(store.db, key)).toEqual({ match: false, reason: 'a receipt', model: 'm2' });
  });
});
