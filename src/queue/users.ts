import type { Role } from '../users/roles.js';
import type { Db } from './db.js';

/** A person who may open the dashboard. The secret itself is never stored, only its hash. */
export interface Person {
  id: number;
  name: string;
  role: Role;
  created_at: number;
  linked_at: number;
}

const COLUMNS = 'id, name, role, created_at, linked_at';

/**
 * The dashboard's people (table users). Every query is plain SQL both SQLite and PostgreSQL
 * run as written: upserts with ON CONFLICT, no SQLite-only functions.
 */
export class Users {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = {
      // A removed person's row comes back; a present one is left alone (no row returned).
      add: db.prepare(`INSERT INTO users (name, role, secret_hash, created_at, linked_at) VALUES (@name, @role, @hash, @now, @now)
        ON CONFLICT (name) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash,
          created_at = excluded.created_at, linked_at = excluded.linked_at, removed_at = NULL
        WHERE users.removed_at IS NOT NULL
        RETURNING ${COLUMNS}`),
      list: db.prepare(`SELECT ${COLUMNS} FROM users WHERE removed_at IS NULL ORDER BY name`),
      get: db.prepare(`SELECT ${COLUMNS} FROM users WHERE name = ? AND removed_at IS NULL`),
      bySecret: db.prepare(`SELECT ${COLUMNS} FROM users WHERE secret_hash = ? AND removed_at IS NULL`),
      count: db.prepare('SELECT count(*) AS n FROM users WHERE removed_at IS NULL'),
      relink: db.prepare(`UPDATE users SET secret_hash = ?, linked_at = ? WHERE name = ? AND removed_at IS NULL RETURNING ${COLUMNS}`),
      setRole: db.prepare(`UPDATE users SET role = ? WHERE name = ? AND removed_at IS NULL RETURNING ${COLUMNS}`),
      // The hash goes too (replaced by one no secret has): nothing of the old link is left.
      remove: db.prepare('UPDATE users SET removed_at = ?, secret_hash = ? WHERE name = ? AND removed_at IS NULL'),
    };
  }

  /** Adds a person with the hash of their first secret; undefined when the name is taken. */
  add(name: string, role: Role, secretHash: string, now = Date.now()): Person | undefined {
    return this.stmt.add.get({ name, role, hash: secretHash, now }) as Person | undefined;
  }

  list(): Person[] {
    return this.stmt.list.all() as Person[];
  }

  get(name: string): Person | undefined {
    return this.stmt.get.get(name) as Person | undefined;
  }

  /** The present person whose secret hashes to this, if any. */
  bySecretHash(secretHash: string): Person | undefined {
    return this.stmt.bySecret.get(secretHash) as Person | undefined;
  }

  count(): number {
    return (this.stmt.count.get() as { n: number }).n;
  }

  /** A new secret for a person; the old one stops working at once. */
  relink(name: string, secretHash: string, now = Date.now()): Person | undefined {
    return this.stmt.relink.get(secretHash, now, name) as Person | undefined;
  }

  setRole(name: string, role: Role): Person | undefined {
    return this.stmt.setRole.get(role, name) as Person | undefined;
  }

  /** Removes a person: their link and every browser signed in with it stop working. */
  remove(name: string, now = Date.now()): boolean {
    return this.stmt.remove.run(now, `removed:${name}:${now}`, name).changes === 1;
  }
}
