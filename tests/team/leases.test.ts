import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults } from '../../src/config.js';
import { Events } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import { resolvePaths } from '../../src/paths.js';
import { openStore } from '../../src/queue/open.js';
import type { Store } from '../../src/queue/store.js';
import { Worker } from '../../src/queue/worker.js';
import { executeJob, type Outcome } from '../../src/run/execute.js';
import type { JobContext } from '../../src/run/context.js';
import { loadRuleText } from '../../src/rules/load.js';
import { waitFor } from '../support/home.js';
import { useCluster } from '../support/team.js';

const team = useCluster();

/** A host of a team: its own home and store on the shared database, and a worker. */
function host(name: string, url: string, ruleYaml: string, execute: (ctx: JobContext) => Promise<Outcome>): { store: Store; worker: Worker; home: string } {
  const home = team.folder(`dropwork-lease-${name}-`);
  const store = openStore({ dbFile: '', configFile: '' }, { database: url, host_name: name, lease_seconds: 2 });
  const rules = new Map(loadRuleText(ruleYaml, 'r.yaml', home).rules.map((r) => [r.name, r]));
  const worker = new Worker({
    store, events: new Events(), log: silentLogger, execute, pollMs: 50, host: name,
    config: () => ({ ...defaults, max_crashes: 5 }),
    rules: () => rules,
    paths: resolvePaths({ DROPWORK_HOME: home }),
  });
  return { store, worker, home };
}

describe('leases on a team database', () => {
  it('gives a frozen worker\'s job to another after its lease, and the frozen one never publishes it', async () => {
    const url = team.cluster.database();
    const shared = team.folder('dropwork-lease-shared-');
    const inbox = path.join(shared, 'inbox');
    const outputs = path.join(shared, 'outputs');
    fs.mkdirSync(inbox);
    const file = path.join(inbox, 'receipt.txt');
    fs.writeFileSync(file, 'total 12.50\n');
    const rule = `name: copy\nwatch: ${inbox}\noutput: ${outputs}\nactions: [{copy: "."}]\n`;

    // Host a freezes mid-job (as a laptop whose lid closed, or whose network went): its job
    // runs the real steps only once it is let go, long after its lease ran out.
    let thaw!: () => void;
    const frozen = new Promise<void>((resolve) => { thaw = resolve; });
    let aTried: Promise<Outcome> | undefined;
    const a = host('host-a', url, rule, (ctx) => {
      // Cut off, host a cannot hear that its job was taken (its cancel watch would tell it once
      // the network is back): it carries on with a signal nobody aborts, so only the lease check
      // before publishing stands between it and a second copy.
      aTried = frozen.then(() => executeJob({ ...ctx, signal: new AbortController().signal }));
      return aTried;
    });
    const b = host('host-b', url, rule, executeJob);
    const st = fs.statSync(file);
    const sha256 = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const queued = a.store.enqueue({ rule: 'copy', file, sha256, trigger: 'watch', dedupe: true, payload: { size: st.size, mtimeMs: st.mtimeMs } });
    // Its file travels with it, as intake sends it: host b runs only such a copy.
    a.store.keepFile(queued!.id, 'receipt.txt', fs.readFileSync(file), sha256);

    a.worker.start();
    await waitFor(() => a.store.list({ status: 'running' }).length === 1, 30_000);
    expect(a.store.list({ status: 'running' })[0]?.ran_by).toBe('host-a');

    // Host b hands back jobs whose lease ran out (what its heartbeat does), then runs it.
    b.worker.start();
    await waitFor(() => b.store.requeueExpired(5).requeued.length === 1, 30_000, 'host-a\'s lease to run out');
    await waitFor(() => b.store.list({ status: 'succeeded' }).length === 1, 30_000);
    const done = b.store.list({ status: 'succeeded' })[0]!;
    expect(done.ran_by).toBe('host-b');

    // Host a wakes up and finishes its run: it must not publish a second copy.
    thaw();
    await expect(aTried).rejects.toThrow(/lost the job/);
    await a.worker.stop(1000);
    await b.worker.stop(1000);
    expect(fs.readdirSync(outputs)).toEqual(['receipt.txt']);
    expect(b.store.get(done.id)?.status).toBe('succeeded');
    expect(b.store.logs(done.id).filter((l) => l.kind === 'published')).toHaveLength(1);
    a.store.close();
    b.store.close();
  });
});
