/**
 * A job's egress proxy: an HTTP proxy on a Unix socket of the job's own, mounted into its
 * sandbox and nowhere else (so one job never sees another's traffic). It forwards plain HTTP
 * requests (absolute URLs) and HTTPS tunnels (CONNECT) to the hosts and ports the rule's
 * allowlist names, and refuses everything else with the reason in the status line (Python's
 * urllib shows it) and body (curl shows it). It has no pages, settings or statistics of its
 * own: a request for anything but a forward is refused like any other.
 *
 * One request per client connection: the forwarded request says `Connection: close`, so a
 * second request on the same socket cannot ride the first one's verdict to another host.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import { judge, systemLookup, type Lookup } from './judge.js';
import type { AllowEntry } from './allowlist.js';

export interface ConnectionRecord {
  method: string;
  host: string;
  port: number;
  allowed: boolean;
  /** Why it was refused, or why it failed after being allowed (the host did not answer). */
  reason?: string | undefined;
  /** The address connected to (resolved here). */
  address?: string | undefined;
  bytesUp: number;
  bytesDown: number;
  ms: number;
}

export interface EgressProxyOptions {
  allow: readonly AllowEntry[];
  socketPath: string;
  onConnection(record: ConnectionRecord): void;
  lookup?: Lookup | undefined;
  /** Connections open at once; past this, refused. @default 64 */
  maxOpen?: number | undefined;
}

const MAX_HEAD = 32 * 1024;
const HEAD_MS = 15_000;
const CONNECT_MS = 10_000;
const HOP_HEADERS = /^(proxy-connection|proxy-authorization|connection|keep-alive|upgrade|te|trailer|host)$/i;

export class EgressProxy {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();

  private constructor(private readonly opts: EgressProxyOptions) {
    this.server = net.createServer((client) => this.serve(client));
  }

  static async start(opts: EgressProxyOptions): Promise<EgressProxy> {
    const proxy = new EgressProxy(opts);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(opts.socketPath, () => { proxy.server.off('error', reject); resolve(); });
    });
    // The sandbox's user (another uid when the daemon is root) must be able to connect.
    await fs.chmod(opts.socketPath, 0o666);
    return proxy;
  }

  get socketPath(): string {
    return this.opts.socketPath;
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(client: net.Socket): void {
    const started = Date.now();
    this.open.add(client);
    client.on('close', () => this.open.delete(client));
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => this.refuse(client, { method: '?', host: '', port: 0, started }, 408, 'no request within 15 s'), HEAD_MS);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0 && head.length <= MAX_HEAD) return;
      client.off('data', onData);
      client.pause();
      clearTimeout(timer);
      if (end < 0) { this.refuse(client, { method: '?', host: '', port: 0, started }, 431, 'request head too large'); return; }
      void this.handle(client, head.subarray(0, end).toString('latin1'), head.subarray(end + 4), started);
    };
    client.on('data', onData);
    client.on('close', () => clearTimeout(timer));
  }

  private async handle(client: net.Socket, head: string, rest: Buffer, started: number): Promise<void> {
    const [requestLine = '', ...headerLines] = head.split('\r\n');
    const [method = '', target = '', version = 'HTTP/1.1'] = requestLine.split(' ');
    const connect = method.toUpperCase() === 'CONNECT';
    const where = connect ? splitAuthority(target, NaN) : absoluteHttp(target);
    const info = { method, host: where?.host ?? '', port: where?.port ?? 0, started };
    if (!where) {
      const what = target.startsWith('/') ? 'a request for the proxy itself' : `"${target.slice(0, 100)}"`;
      this.refuse(client, { ...info, host: '(this proxy)' }, 400, `${what}: this is the sandbox's egress proxy; it only forwards http:// URLs and CONNECT host:port to hosts in the rule's network allowlist`);
      return;
    }
    if (this.open.size > (this.opts.maxOpen ?? 64)) { this.refuse(client, info, 503, `more than ${this.opts.maxOpen ?? 64} connections open at once`); return; }
    const verdict = await judge(this.opts.allow, where.host, where.port, this.opts.lookup ?? systemLookup);
    if (!verdict.allowed) { this.refuse(client, info, verdict.status, verdict.reason); return; }

    const upstream = net.connect({ host: verdict.address, port: where.port });
    let up = 0;
    let down = 0;
    let failure: string | undefined;
    let connected = false;
    const connectTimer = setTimeout(() => upstream.destroy(new Error(`no answer in ${CONNECT_MS / 1000} s`)), CONNECT_MS);
    upstream.on('error', (err) => { failure ??= err.message; });
    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      connected = true;
      if (connect) {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      } else {
        const headers = headerLines.filter((l) => !HOP_HEADERS.test(l.slice(0, l.indexOf(':')).trim()));
        const firstLine = `${method} ${where.path} ${version}`;
        const out = [firstLine, `Host: ${where.authority}`, ...headers, 'Connection: close', '', ''].join('\r\n');
        up += out.length;
        upstream.write(out, 'latin1');
      }
      if (rest.length) { up += rest.length; upstream.write(rest); }
      client.on('data', (c: Buffer) => { up += c.length; });
      upstream.on('data', (c: Buffer) => { down += c.length; });
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    let recorded = false;
    const done = (): void => {
      if (recorded) return;
      recorded = true;
      clearTimeout(connectTimer);
      if (!connected && !client.destroyed) {
        this.reply(client, 502, `could not reach ${where.host}:${where.port}: ${failure ?? 'the connection closed'}`);
      } else {
        client.destroy();
      }
      upstream.destroy();
      this.record({ method, host: where.host, port: where.port, allowed: true, reason: connected ? undefined : `could not reach it: ${failure ?? 'closed'}`, address: verdict.address, bytesUp: up, bytesDown: down, ms: Date.now() - started });
    };
    upstream.on('close', done);
    client.on('close', done);
  }

  private refuse(client: net.Socket, info: { method: string; host: string; port: number; started: number }, status: number, reason: string): void {
    this.reply(client, status, `blocked: ${reason}`);
    this.record({ method: info.method, host: info.host, port: info.port, allowed: false, reason, bytesUp: 0, bytesDown: 0, ms: Date.now() - info.started });
  }

  /** The reason is the status line's text as well as the body: some clients show only one of them. */
  private reply(client: net.Socket, status: number, text: string): void {
    const body = `${text}\n`;
    const phrase = text.replace(/[\r\n]/g, ' ').slice(0, 300);
    client.end(`HTTP/1.1 ${status} ${phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  private record(r: ConnectionRecord): void {
    try { this.opts.onConnection(r); } catch { /* the history's problem, never the connection's */ }
  }
}

interface Where { host: string; port: number; authority: string; path: string }

/** `host:port` or `[v6]:port`; the port is required for CONNECT (NaN fallback makes it invalid). */
function splitAuthority(authority: string, defaultPort: number): Where | undefined {
  const m = /^(\[[^\]]+\]|[^:/?#@\s]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port)) return undefined;
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port, authority, path: '' };
}

/** `http://host[:port]/path?query` → its parts; anything else (origin-form, https://) is not a forward. */
function absoluteHttp(target: string): Where | undefined {
  const m = /^http:\/\/([^/?#]+)([^#]*)/i.exec(target);
  if (!m) return undefined;
  const where = splitAuthority(m[1] as string, 80);
  if (!where) return undefined;
  return { ...where, path: m[2] || '/' };
}
