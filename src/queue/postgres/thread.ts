/**
 * The PostgreSQL connection's own thread (see connection.ts). It holds two clients: one runs the
 * daemon's statements one at a time, the other LISTENs for wake-ups. Only erasable TypeScript
 * and no relative imports here: tests start this file directly with Node's type stripping.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';

interface Init {
  url: string;
  timeZone: string;
  requests: MessagePort;
  events: MessagePort;
  /** [0] reply ready (0/1), [1] database reachable (1) or not (0) */
  signal: SharedArrayBuffer;
  channels: string[];
}

/** `gen`: inside a transaction, the connection it began on; any other connection refuses it. */
interface Request { id: number; sql: string; params: unknown[]; gen?: number }

const init = workerData as Init;
const flags = new Int32Array(init.signal);

// bigint and numeric arrive as strings by default; every such value here (ids, counts, sums of
// sizes and costs) fits a JavaScript number.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

const CONNECT_TIMEOUT_MS = 3000;
let client: pg.Client | undefined;
let listener: pg.Client | undefined;
let connecting: Promise<pg.Client> | undefined;
/** Counts connections made: a transaction begun on one must never go on on the next. */
let generation = 0;

function reachable(on: boolean): void {
  Atomics.store(flags, 1, on ? 1 : 0);
}

async function open(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: init.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: 'dropwork' });
  c.on('error', () => {
    // The server went away: the next statement reconnects; until then callers are told at once.
    if (client === c) client = undefined;
    if (listener === c) listener = undefined;
    reachable(false);
    void c.end().catch(() => undefined);
    scheduleReconnect();
  });
  await c.connect();
  // Our own tables and the few SQLite functions the shared statements use live in schema
  // dropwork, searched before pg_catalog.
  await c.query(`SET search_path = dropwork, pg_catalog; SET TIME ZONE '${init.timeZone.replace(/'/g, "''")}'`);
  return c;
}

async function connected(): Promise<pg.Client> {
  if (client) return client;
  // One connection attempt at a time, whoever asks: each new connection is counted once and
  // starts listening once.
  connecting ??= open()
    .then((c) => {
      client = c;
      generation++;
      reachable(true);
      void listen();
      return c;
    })
    .finally(() => { connecting = undefined; });
  return connecting;
}

let listening = false;
async function listen(): Promise<void> {
  if (listening || listener || init.channels.length === 0) return;
  listening = true;
  try {
    const c = await open();
    listener = c;
    c.on('notification', (n) => init.events.postMessage({ channel: n.channel, payload: n.payload ?? '' }));
    for (const ch of init.channels) await c.query(`LISTEN ${ch}`);
    init.events.postMessage({ channel: '', payload: 'listening' });
  } catch {
    scheduleReconnect();
  } finally {
    listening = false;
  }
}

let retry: NodeJS.Timeout | undefined;
function scheduleReconnect(): void {
  if (retry) return;
  retry = setTimeout(() => {
    retry = undefined;
    connected().then(() => listen(), () => scheduleReconnect());
  }, 1000);
}

function reply(message: unknown): void {
  init.requests.postMessage(message);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
}

// Statements with parameters are prepared once per connection, by name: the store runs the same
// few dozen statements over and over, and planning them each time doubled a claim's cost.
const names = new Map<string, string>();
function nameOf(sql: string): string {
  let n = names.get(sql);
  if (!n) {
    n = `dw${names.size + 1}`;
    names.set(sql, n);
  }
  return n;
}

init.requests.on('message', (req: Request) => {
  // The connection a transaction began on is gone: the server rolled it back, and running the
  // rest on a new connection would commit half of it statement by statement.
  if (req.gen !== undefined && (client === undefined || req.gen !== generation)) {
    reply({ id: req.id, error: { message: 'the connection was lost during a transaction, which the server rolled back', code: '08006', unreachable: true } });
    return;
  }
  connected()
    .then((c) => c.query(req.params.length > 0 ? { name: nameOf(req.sql), text: req.sql, values: req.params } : { text: req.sql }))
    .then(
      (r) => reply({ id: req.id, rows: r.rows, rowCount: r.rowCount ?? 0, gen: generation }),
      (err: unknown) => {
        const e = err as { message?: string; code?: string };
        // Class 08 (connection exception), the server shutting down or starting (57P0x), and
        // errors without a SQLSTATE (ECONNREFUSED, ETIMEDOUT, a reset) mean the server cannot be
        // reached; anything else is the statement's fault.
        const sqlstate = e.code !== undefined && /^[0-9A-Z]{5}$/.test(e.code);
        const unreachable = !sqlstate || e.code!.startsWith('08') || e.code!.startsWith('57P0');
        if (unreachable) {
          if (client) void client.end().catch(() => undefined);
          client = undefined;
          reachable(false);
          scheduleReconnect();
        }
        reply({ id: req.id, error: { message: e.message ?? String(err), code: e.code ?? '', unreachable } });
      },
    );
});

connected().catch(() => scheduleReconnect());
