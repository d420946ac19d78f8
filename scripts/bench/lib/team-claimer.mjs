// One claiming process for scripts/bench/team.mjs: opens the store (a SQLite file or a
// PostgreSQL URL), waits for "go" on stdin, then claims and succeeds no-op jobs until the queue
// is empty, and prints how many it did.
import { openStore } from '../../../dist/queue/open.js';

const [where, name] = process.argv.slice(2);
const postgres = where.startsWith('postgres');
const store = openStore({ dbFile: where, configFile: '' }, { database: postgres ? where : '', host_name: name, lease_seconds: 60 });
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  const worker = `${name}/worker`;
  let n = 0;
  for (let job = store.claim(worker); job; job = store.claim(worker)) {
    store.move(job.id, 'succeeded', { outputs: '[]' }, { worker, from: ['running'] });
    n++;
  }
  store.close();
  process.stdout.write(`done ${n}\n`);
  process.exit(0);
});
