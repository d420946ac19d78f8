import { redact } from '../redact.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventName } from '../events.js';
import { BASE_HEADERS } from './http.js';
import type { WebDeps } from './deps.js';

const JOB_EVENTS = ['job:queued', 'job:started', 'job:succeeded', 'job:failed', 'job:skipped', 'job:waiting', 'job:cancelled', 'job:retrying'] as const satisfies EventName[];

/**
 * Server-Sent Events for open pages. The daemon's own changes arrive as events at once; changes
 * made by other processes (`dropwork run`, `jobs approve` from a terminal) are noticed through
 * SQLite's data_version, which moves only when another connection commits: one cheap pragma a
 * second while a page is open.
 */
export class LiveUpdates {
  private readonly clients = new Set<ServerResponse>();
  /** For a person's page: whether they may still watch (not removed, link not replaced). */
  private readonly stillAllowed = new Map<ServerResponse, () => boolean>();
  private readonly unsubscribe: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private lastVersion = -1;

  constructor(private readonly deps: Pick<WebDeps, 'store' | 'events' | 'log'>) {}

  start(): void {
    const { events } = this.deps;
    if (events) {
      for (const name of JOB_EVENTS) {
        this.unsubscribe.push(events.on(name, (job) => this.send('job', { id: job.id, status: job.status, rule: job.rule })));
      }
      this.unsubscribe.push(events.on('job:step', (jobId, kind) => this.send('step', { job: jobId, kind })));
      this.unsubscribe.push(events.on('rules:loaded', () => this.send('rules', {})));
    }
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(1000, () => this.checkDatabase());
    // Proxies and idle timeouts close quiet connections; a comment line keeps them open.
    every(20_000, () => this.write(': keep-alive\n\n'));
  }

  get size(): number {
    return this.clients.size;
  }

  attach(req: IncomingMessage, res: ServerResponse, stillAllowed?: () => boolean): void {
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ live: this.deps.events !== undefined })}\n\n`);
    this.clients.add(res);
    if (stillAllowed) this.stillAllowed.set(res, stillAllowed);
    req.on('close', () => {
      this.clients.delete(res);
      this.stillAllowed.delete(res);
    });
    // The first page sets the baseline, so a commit before the next tick is not taken for it.
    if (this.lastVersion === -1) this.lastVersion = this.dataVersion() ?? -1;
  }

  private dataVersion(): number | undefined {
    try {
      return this.deps.store.db.dataVersion();
    } catch {
      return undefined; // the store is closing with the daemon
    }
  }

  private checkDatabase(): void {
    if (this.clients.size === 0) return;
    const version = this.dataVersion();
    if (version === undefined) return;
    if (this.lastVersion !== -1 && version !== this.lastVersion) {
      // `users remove` and `users link` commit from another process, so they show up here too:
      // an open stream ends with them rather than at its next reconnect.
      this.endRevoked();
      this.send('changed', {});
    }
    this.lastVersion = version;
  }

  private endRevoked(): void {
    for (const [res, allowed] of this.stillAllowed) {
      if (allowed()) continue;
      this.stillAllowed.delete(res);
      this.clients.delete(res);
      res.end();
    }
  }

  private send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${redact(JSON.stringify(data))}\n\n`);
  }

  private write(text: string): void {
    for (const res of this.clients) {
      try {
        res.write(text);
      } catch (err) {
        this.deps.log.debug('a live page went away', { error: String(err) });
        this.clients.delete(res);
      }
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stillAllowed.clear();
  }
}
