import { errorMessage } from '../errors.js';
import { redactUrl } from '../queue/postgres/connection.js';
import { PostgresDb, postgresSchemaVersion } from '../queue/postgres/db.js';
import type { DoctorContext } from './check.js';

/** What the doctor learns of a team's database in one connection. */
export type TeamProbe =
  | { reachable: false; url: string; why: string }
  | { reachable: true; url: string; server: string; version: number; skewMs: number };

/** How long the doctor waits for the server: well under its 20 s limit for one check. */
const TIMEOUT_MS = 8_000;

/**
 * Connects to `url` and asks the server its version, the schema version and its clock. The clock
 * is read between two readings of this host's (`now`), so the round trip does not count as skew.
 */
export function probeTeamDatabase(url: string, now: () => number = Date.now): TeamProbe {
  const safe = redactUrl(url);
  let db: PostgresDb | undefined;
  try {
    db = new PostgresDb(url, { migrate: false, timeoutMs: TIMEOUT_MS });
    const server = (db.query("SELECT current_setting('server_version') AS v").rows[0] as { v: string }).v;
    const version = postgresSchemaVersion(db);
    const before = now();
    const at = (db.query('SELECT extract(epoch from clock_timestamp()) * 1000 AS t').rows[0] as { t: number }).t;
    const after = now();
    return { reachable: true, url: safe, server, version, skewMs: Number(at) - (before + after) / 2 };
  } catch (err) {
    return { reachable: false, url: safe, why: errorMessage(err).replaceAll(url, safe) };
  } finally {
    db?.close();
  }
}

const probes = new WeakMap<DoctorContext, TeamProbe>();

/** The probe of the configured database, made once per doctor run; undefined without `database:`. */
export function teamProbe(ctx: DoctorContext): TeamProbe | undefined {
  const url = ctx.config.database.trim();
  if (!url) return undefined;
  let p = probes.get(ctx);
  if (!p) {
    p = probeTeamDatabase(url);
    probes.set(ctx, p);
  }
  return p;
}
