import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { StoreUnavailable } from '../../errors.js';

/** `gen`: which connection answered (see thread.ts), for a transaction to stay on one. */
export interface Result { rows: Record<string, unknown>[]; rowCount: number; gen: number }

interface Reply { id: number; rows?: Record<string, unknown>[]; rowCount?: number; gen?: number; error?: { message: string; code: string; unreachable: boolean } }

/** A statement PostgreSQL refused (a constraint, a syntax error): the caller's problem, not the network's. */
export class PostgresError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'PostgresError';
  }
}

/**
 * A synchronous PostgreSQL connection. The store's API is synchronous (better-sqlite3's model:
 * every transition is one call that either happened or did not, with no await in the middle for
 * another job to slip into), so the PostgreSQL store keeps it: the `pg` client runs on its own
 * thread and each statement blocks the calling thread until the reply, as a SQLite write blocks
 * on the disk. A round trip on a LAN costs well under a millisecond (scripts/bench/team.mjs).
 *
 * When the server cannot be reached a statement fails with StoreUnavailable, at once and without
 * waiting for a network timeout whenever the connection is already known to be down; the thread
 * reconnects by itself every second.
 */
export class SyncConnection {
  private readonly thread: Worker;
  private readonly requests: MessagePort;
  private readonly flags: Int32Array;
  private next = 1;
  private closed = false;

  /**
   * @param onEvent LISTEN notifications (and `{channel: ''}` when listening starts), delivered
   *   asynchronously on the calling thread's event loop.
   */
  constructor(readonly url: string, channels: string[], onEvent: (channel: string, payload: string) => void, private readonly timeoutMs = 15_000) {
    const signal = new SharedArrayBuffer(8);
    this.flags = new Int32Array(signal);
    const req = new MessageChannel();
    const ev = new MessageChannel();
    this.requests = req.port1;
    const here = fileURLToPath(import.meta.url);
    const file = here.endsWith('.ts') ? new URL('./thread.ts', import.meta.url) : new URL('./thread.js', import.meta.url);
    this.thread = new Worker(file, {
      workerData: { url, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, requests: req.port2, events: ev.port2, signal, channels },
      transferList: [req.port2, ev.port2],
      // The thread needs none of the process's own flags, and some stop a worker from starting
      // (--input-type, for a process started with -e).
      execArgv: [],
    });
    this.thread.unref();
    ev.port1.on('message', (m: { channel: string; payload: string }) => onEvent(m.channel, m.payload));
    ev.port1.unref();
    // The first statement waits for the first connection, up to the timeout.
    Atomics.store(this.flags, 1, 1);
  }

  /** Whether the last attempt reached the server. */
  get reachable(): boolean {
    return Atomics.load(this.flags, 1) === 1;
  }

  /** `gen`: run only on that connection (a transaction's), else fail as unreachable. */
  query(sql: string, params: unknown[] = [], gen?: number): Result {
    if (this.closed) throw new StoreUnavailable('the PostgreSQL connection is closed');
    if (!this.reachable) throw new StoreUnavailable(`the database ${redactUrl(this.url)} cannot be reached; retrying every second`);
    const id = this.next++;
    Atomics.store(this.flags, 0, 0);
    this.requests.postMessage(gen === undefined ? { id, sql, params } : { id, sql, params, gen });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flags, 0, 0, left) === 'timed-out') {
        throw new StoreUnavailable(`the database ${redactUrl(this.url)} did not answer within ${this.timeoutMs / 1000} s`);
      }
      const got = receiveMessageOnPort(this.requests) as { message: Reply } | undefined;
      if (!got) { Atomics.store(this.flags, 0, 0); continue; }
      const r = got.message;
      // A reply to a statement that timed out earlier: already reported; keep waiting for ours.
      if (r.id !== id) { Atomics.store(this.flags, 0, 0); continue; }
      if (r.error) {
        if (r.error.unreachable) throw new StoreUnavailable(`the database ${redactUrl(this.url)} cannot be reached: ${r.error.message}`);
        throw new PostgresError(r.error.message, r.error.code);
      }
      return { rows: r.rows ?? [], rowCount: r.rowCount ?? 0, gen: r.gen ?? 0 };
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.thread.terminate();
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
