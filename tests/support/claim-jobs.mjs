// One of several processes claiming from one queue (tests/queue/store-team.test.ts): opens the
// store with the built modules, waits for the common start time, claims and completes jobs until
// none is left, and prints the ids it ran as JSON.
const [dist, engine, where, worker, startAt] = process.argv.slice(2);
const { Store } = await import(`${dist}/queue/store.js`);
const { PostgresDb } = await import(`${dist}/queue/postgres/db.js`);
const { PostgresStore } = await import(`${dist}/queue/postgres/store.js`);
const store = engine === 'postgres' ? new PostgresStore(new PostgresDb(where)) : new Store(where);
store.hostName = worker.split('/')[0];
store.counts(); // connected and migrated before the start
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const ran = [];
for (let job = store.claim(worker); job; job = store.claim(worker)) {
  if (!store.move(job.id, 'succeeded', { outputs: '[]' }, { worker, from: ['running'] })) throw new Error(`job ${job.id} was taken from ${worker}`);
  ran.push(job.id);
}
store.close();
process.stdout.write(JSON.stringify(ran));
