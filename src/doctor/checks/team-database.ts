/**
 * A team's shared PostgreSQL database (config `database:`): can this host reach it, is its
 * schema this build's, and does the server's clock agree with this host's. Shown only when
 * `database:` is set; the schema and the clock only when the server answers.
 */
import { schemaVersion } from '../../queue/db.js';
import { fail, pass, warn, type Check, type CheckResult, type DoctorContext } from '../check.js';
import { teamProbe, type TeamProbe } from '../team-probe.js';

type Reached = Extract<TeamProbe, { reachable: true }>;

function reached(ctx: DoctorContext): Reached | undefined {
  const p = teamProbe(ctx);
  return p?.reachable ? p : undefined;
}

export const teamDatabaseCheck: Check = {
  id: 'team-database',
  title: 'Team database',
  applies: (ctx) => teamProbe(ctx) !== undefined,
  run(ctx) {
    const p = teamProbe(ctx) as TeamProbe;
    if (!p.reachable) {
      return fail(`${p.url} cannot be reached: ${p.why}`, 'start the database server or check the network; check database: in config.yaml (or DROPWORK_DATABASE_URL). Until it answers, collecting waits and workers pause');
    }
    return pass(`${p.url} answers (PostgreSQL ${p.server})`);
  },
};

export const teamSchemaCheck: Check = {
  id: 'team-schema',
  title: 'Database schema',
  applies: (ctx) => reached(ctx) !== undefined,
  run(ctx) {
    return schemaVerdict((reached(ctx) as Reached).version, schemaVersion());
  },
};

export function schemaVerdict(version: number, build: number): CheckResult {
  if (version === build) return pass(`schema version ${version}, this dropwork's`);
  if (version < build) return fail(`schema version ${version}; this dropwork writes ${build}`, 'run dropwork db migrate');
  return fail(`schema version ${version}; this dropwork writes ${build}`, 'a newer dropwork migrated this database; upgrade this host');
}

/** Above this, leases and run_at times compared across hosts go wrong by as much. */
export const MAX_SKEW_MS = 2000;

export const teamClockCheck: Check = {
  id: 'team-clock',
  title: 'Database clock',
  applies: (ctx) => reached(ctx) !== undefined,
  run(ctx) {
    return clockVerdict((reached(ctx) as Reached).skewMs);
  },
};

export function clockVerdict(skewMs: number): CheckResult {
  const s = Math.abs(skewMs) / 1000;
  const said = `the server's clock is ${s.toFixed(1)} s ${skewMs >= 0 ? 'ahead of' : 'behind'} this host's`;
  if (Math.abs(skewMs) <= MAX_SKEW_MS) return pass(said);
  return warn(said, 'sync the clocks (NTP: timedatectl set-ntp true); leases and retry times are compared across hosts, so a skewed host takes back jobs early or runs retries late');
}
