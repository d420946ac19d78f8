import { loadConfig, type Config } from '../config.js';
import type { Paths } from '../paths.js';
import { PostgresDb } from './postgres/db.js';
import { PostgresStore } from './postgres/store.js';
import { Store } from './store.js';

/**
 * The store a host uses: the embedded SQLite file in its data folder, or, when config.yaml's
 * `database:` (or DROPWORK_DATABASE_URL) is a postgres:// URL, the team's shared one.
 */
export function openStore(paths: Pick<Paths, 'dbFile' | 'configFile'>, config?: Pick<Config, 'database' | 'host_name' | 'lease_seconds'>): Store {
  const c = config ?? loadConfig(paths.configFile).config;
  const url = c.database.trim();
  const store = url ? new PostgresStore(new PostgresDb(url)) : new Store(paths.dbFile);
  store.hostName = c.host_name;
  store.leaseMs = c.lease_seconds * 1000;
  return store;
}
