/**
 * The doctor's team database checks against a real PostgreSQL server: reachable or why not
 * (a stopped server), the schema version against this build's, and the server's clock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/doctor/checks/index.js';
import { clockVerdict, teamClockCheck, teamDatabaseCheck, teamSchemaCheck } from '../../src/doctor/checks/team-database.js';
import { undoCheck } from '../../src/doctor/checks/undo.js';
import { doctorContext, formatReport, runDoctor, type DoctorReport } from '../../src/doctor/run.js';
import { probeTeamDatabase } from '../../src/doctor/team-probe.js';
import { resolvePaths } from '../../src/paths.js';
import { schemaVersion } from '../../src/queue/db.js';
import { PostgresDb } from '../../src/queue/postgres/db.js';
import { useCluster } from '../support/team.js';

const TEAM = [teamDatabaseCheck, teamSchemaCheck, teamClockCheck];
const PASSWORD = 'doctor-pw-9c1e';

const team = useCluster();
let dir: string;
beforeAll(() => { dir = team.folder('dropwork-doctor-team-'); });

function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

function doctor(url: string | undefined, checks = TEAM): Promise<DoctorReport> {
  const env: NodeJS.ProcessEnv = { DROPWORK_HOME: dir, ...(url ? { DROPWORK_DATABASE_URL: url } : {}) };
  return runDoctor(checks, doctorContext(resolvePaths(env), env));
}

const verdicts = (r: DoctorReport): [string, string][] => r.checks.map((c) => [c.id, c.status]);

describe('the doctor on a team database', () => {
  it('is silent about it when database: is not set', async () => {
    expect((await doctor(undefined)).checks).toEqual([]);
    expect(CHECKS).toEqual(expect.arrayContaining(TEAM));
  });

  it('passes a migrated database whose server keeps this host\'s time, and never shows the password', async () => {
    const url = withPassword(team.cluster.database());
    new PostgresDb(url).close();
    const r = await doctor(url, [...TEAM, undoCheck]);
    expect(verdicts(r)).toEqual([['team-database', 'pass'], ['team-schema', 'pass'], ['team-clock', 'pass'], ['undo', 'pass']]);
    expect(r.checks[0]?.summary).toMatch(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/t_\w+ answers \(PostgreSQL \d+/);
    expect(r.checks[1]?.summary).toBe(`schema version ${schemaVersion()}, this dropwork's`);
    expect(r.checks[2]?.summary).toMatch(/^the server's clock is 0\.\d s (ahead of|behind) this host's$/);
    expect(formatReport(r)).not.toContain(PASSWORD);
  });

  it('says to migrate an older schema, and to upgrade this host for a newer one', async () => {
    const url = team.cluster.database();
    const empty = await doctor(url);
    expect(empty.checks[1]).toMatchObject({ status: 'fail', summary: `schema version 0; this dropwork writes ${schemaVersion()}`, fix: 'run dropwork db migrate' });
    const db = new PostgresDb(url);
    db.query('DELETE FROM dropwork.schema_version WHERE version = $1', [schemaVersion()]);
    expect((await doctor(url)).checks[1]).toMatchObject({ status: 'fail', fix: 'run dropwork db migrate' });
    db.query('INSERT INTO dropwork.schema_version (version) VALUES ($1), ($2)', [schemaVersion(), schemaVersion() + 1]);
    db.close();
    expect((await doctor(url)).checks[1]).toMatchObject({ status: 'fail', fix: 'a newer dropwork migrated this database; upgrade this host' });
  });

  it('warns when this host\'s clock and the server\'s differ by more than 2 s', () => {
    const url = team.cluster.database();
    const slow = probeTeamDatabase(url, () => Date.now() - 5000);
    expect(slow.reachable && slow.skewMs).toBeGreaterThan(4000);
    expect(clockVerdict(slow.reachable ? slow.skewMs : 0)).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^the server's clock is [45]\.\d s ahead of this host's$/) });
    const fast = probeTeamDatabase(url, () => Date.now() + 3000);
    expect(clockVerdict(fast.reachable ? fast.skewMs : 0)).toMatchObject({ status: 'warn', summary: expect.stringMatching(/behind this host's$/) });
    expect(clockVerdict(1999).status).toBe('pass');
  });

  it('fails with the reason when the server is stopped, and leaves out what it cannot check', async () => {
    const url = withPassword(team.cluster.database());
    team.cluster.stop();
    try {
      const started = Date.now();
      const r = await doctor(url, [...TEAM, undoCheck]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(verdicts(r)).toEqual([['team-database', 'fail']]);
      expect(r.checks[0]?.summary).toMatch(/cannot be reached: .*(ECONNREFUSED|connect)/i);
      expect(r.checks[0]?.fix).toContain('start the database server');
      expect(JSON.stringify(r)).not.toContain(PASSWORD);
      expect(r.ok).toBe(false);
    } finally {
      team.cluster.start();
    }
  });
});
