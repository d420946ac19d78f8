/**
 * The dashboard's people as the Store keeps them (src/queue/users.ts), on each store: a real
 * SQLite file and a real PostgreSQL server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/queue/store.js';
import { hashSecret, newSecret } from '../../src/users/secret.js';
import { stores } from '../support/stores.js';

describe.each(stores())('the users table ($name)', (backend) => {
let store: Store;

beforeEach(() => {
  store = backend.open(backend.fresh());
});
afterEach(() => {
  store.close();
});

  it('adds a person once, finds them by the hash of their secret, and lists them by name', () => {
    const secret = newSecret();
    const ana = store.users.add('ana', 'approver', hashSecret(secret), 1000);
    expect(ana).toMatchObject({ name: 'ana', role: 'approver', created_at: 1000, linked_at: 1000 });
    expect(store.users.add('ana', 'admin', hashSecret(newSecret()))).toBeUndefined();
    expect(store.users.get('ana')?.role).toBe('approver');
    store.users.add('bo', 'viewer', hashSecret(newSecret()));
    expect(store.users.list().map((u) => u.name)).toEqual(['ana', 'bo']);
    expect(store.users.count()).toBe(2);
    expect(store.users.bySecretHash(hashSecret(secret))?.name).toBe('ana');
    expect(store.users.bySecretHash(hashSecret(newSecret()))).toBeUndefined();
    // No row carries the secret itself, only its hash.
    expect(JSON.stringify(store.db.prepare('SELECT * FROM users').all())).not.toContain(secret);
  });

  it('refuses a role that is not one', () => {
    expect(() => store.db.prepare("INSERT INTO users (name, role, secret_hash, created_at, linked_at) VALUES ('x', 'owner', 'h', 0, 0)").run()).toThrow(/CHECK|check constraint/);
  });

  it('a new link replaces the old secret at once', () => {
    const first = newSecret();
    store.users.add('ana', 'viewer', hashSecret(first), 1000);
    const second = newSecret();
    expect(store.users.relink('ana', hashSecret(second), 2000)).toMatchObject({ name: 'ana', linked_at: 2000, created_at: 1000 });
    expect(store.users.bySecretHash(hashSecret(first))).toBeUndefined();
    expect(store.users.bySecretHash(hashSecret(second))?.name).toBe('ana');
    expect(store.users.relink('nobody', hashSecret(newSecret()))).toBeUndefined();
  });

  it('changes a role', () => {
    store.users.add('ana', 'viewer', hashSecret(newSecret()));
    expect(store.users.setRole('ana', 'admin')?.role).toBe('admin');
    expect(store.users.setRole('nobody', 'admin')).toBeUndefined();
  });

  it('a removed person is not found by their secret; added again, they come back with a new one', () => {
    const old = newSecret();
    store.users.add('ana', 'admin', hashSecret(old), 1000);
    expect(store.users.remove('ana', 3000)).toBe(true);
    expect(store.users.remove('ana')).toBe(false);
    expect(store.users.bySecretHash(hashSecret(old))).toBeUndefined();
    expect(store.users.get('ana')).toBeUndefined();
    expect(store.users.list()).toEqual([]);
    expect(store.users.count()).toBe(0);
    // Nothing of the old secret is left, not even its hash.
    expect(JSON.stringify(store.db.prepare('SELECT * FROM users').all())).not.toContain(hashSecret(old));
    const fresh = newSecret();
    expect(store.users.add('ana', 'viewer', hashSecret(fresh), 4000)).toMatchObject({ name: 'ana', role: 'viewer', created_at: 4000 });
    expect(store.users.bySecretHash(hashSecret(old))).toBeUndefined();
    expect(store.users.bySecretHash(hashSecret(fresh))?.role).toBe('viewer');
  });
});
