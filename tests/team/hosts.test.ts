import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/queue/open.js';
import { cli, type TestHome } from '../support/home.js';
import { useCluster } from '../support/team.js';

const team = useCluster();

const agentRule = 'name: receipts\nwatch: inbox/receipts\ndo: Put the total of each receipt into ledger.csv\n';

function teamHome(url: string, role: string, name: string): TestHome {
  return team.home({ rules: { 'receipts.yaml': agentRule }, config: `database: ${url}\nrole: ${role}\nhost_name: ${name}\n` });
}

describe('hosts of a team', () => {
  it('status lists the hosts and a rule whose text differs between them', async () => {
    const url = team.cluster.database();
    const home = teamHome(url, 'collect', 'ada-laptop');
    const store = openStore({ dbFile: '', configFile: '' }, { database: url, host_name: 'x', lease_seconds: 60 });
    const now = Date.now();
    store.heartbeatHost({ name: 'ada-laptop', role: 'collect', version: '0.1.0', pid: 1, started_at: now, running: 0, rules: JSON.stringify({ receipts: 'aaaa1111' }) }, now);
    store.heartbeatHost({ name: 'office-server', role: 'work', version: '0.1.0', pid: 2, started_at: now, running: 3, rules: JSON.stringify({ receipts: 'bbbb2222' }) }, now);
    store.heartbeatHost({ name: 'old-mac', role: 'all', version: '0.1.0', pid: 3, started_at: now - 600_000, running: 0, rules: '{}' }, now - 600_000);
    store.close();

    const out = await cli(home, ['status']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`database: ${url}`);
    expect(out.stdout).toMatch(/ada-laptop\s+collects files\s+0\.1\.0\s+0 running/);
    expect(out.stdout).toMatch(/office-server\s+runs jobs\s+0\.1\.0\s+3 running/);
    expect(out.stdout).toMatch(/old-mac\s+collects files and runs jobs\s+0\.1\.0\s+not heard from since .* UTC[+-]\d\d:\d\d/);
    expect(out.stdout).toMatch(/problem: rule "receipts" is not the same on every host \(ada-laptop aaaa1111, office-server bbbb2222\)/);
    const json = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { hosts: { name: string; alive: boolean }[]; rule_differences: { rule: string }[] };
    expect(json.hosts.map((h) => [h.name, h.alive])).toEqual([['ada-laptop', true], ['office-server', true], ['old-mac', false]]);
    expect(json.rule_differences.map((d) => d.rule)).toEqual(['receipts']);
  });

  it('status says when the database cannot be reached, without failing on it', async () => {
    const home = teamHome('postgres://dropwork:secret@127.0.0.1:9/nowhere', 'all', 'ada-laptop');
    const out = await cli(home, ['status']);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/the database postgres:\/\/dropwork:\*\*\*@127\.0\.0\.1:9\/nowhere cannot be reached/);
    expect(out.stdout).toMatch(/files stay in their inboxes and jobs wait/);
    expect(out.stdout + out.stderr).not.toContain('secret');
  });

  it('a collecting host needs no API key and no sandbox', async () => {
    const home = teamHome(team.cluster.database(), 'collect', 'ada-laptop');
    const out = await cli(home, ['doctor', '--json']);
    const checks = JSON.parse(out.stdout) as { checks?: { id: string; status: string; summary: string }[] } | { id: string; status: string; summary: string }[];
    const list = Array.isArray(checks) ? checks : checks.checks ?? [];
    for (const id of ['api-key', 'provider', 'sandbox']) {
      const c = list.find((x) => x.id === id);
      expect(c, id).toBeDefined();
      expect(c?.status, id).toBe('pass');
      expect(c?.summary, id).toMatch(/only collects files/);
    }
  });
});
