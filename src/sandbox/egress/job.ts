/**
 * A job's network when its rule names an allowlist: its own proxy on its own socket, in a
 * folder of its own that only this job's sandbox mounts. Opened with the sandbox, closed
 * with it. Keeps what each command's connections were, so the model is told which were
 * refused and why, whatever its client printed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { handOver } from '../output.js';
import { parseAllowlist } from './allowlist.js';
import { SOCKET_NAME } from './forwarder.js';
import { EgressProxy, type ConnectionRecord } from './proxy.js';
import type { Lookup } from './judge.js';

export type { ConnectionRecord } from './proxy.js';

export interface JobEgressOptions {
  allow: readonly string[];
  /** Each connection, allowed or refused, as it ends (the job's history). */
  onConnection?: ((record: ConnectionRecord) => void) | undefined;
  /** The sandbox's uid:gid, which must reach the socket (the daemon as root). */
  owner?: { uid: number; gid: number } | undefined;
  lookup?: Lookup | undefined;
}

export class JobEgress {
  private readonly blocked: ConnectionRecord[] = [];

  private constructor(readonly dir: string, private readonly proxy: EgressProxy) {}

  static async open(opts: JobEgressOptions): Promise<JobEgress> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-net-'));
    await fs.chmod(dir, 0o700);
    if (opts.owner && process.getuid?.() === 0) await handOver(dir, opts.owner.uid, opts.owner.gid);
    let job: JobEgress | undefined;
    const proxy = await EgressProxy.start({
      allow: parseAllowlist(opts.allow),
      socketPath: path.join(dir, SOCKET_NAME),
      lookup: opts.lookup,
      onConnection: (r) => {
        if (!r.allowed) job?.blocked.push(r);
        opts.onConnection?.(r);
      },
    }).catch(async (err: unknown) => { await fs.rm(dir, { recursive: true, force: true }); throw err; });
    job = new JobEgress(dir, proxy);
    return job;
  }

  /** The refusals since the last call, as lines for the command's result. */
  takeBlocked(): string[] {
    const lines = this.blocked.splice(0).map((r) => `network: blocked ${r.host ? `${r.host}${r.port ? `:${r.port}` : ''}` : 'a request'}: ${r.reason ?? ''}`);
    return [...new Set(lines)].slice(0, 20);
  }

  async close(): Promise<void> {
    await this.proxy.close();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** One line of the job's history for a connection. */
export function describeConnection(r: ConnectionRecord): string {
  const target = `${r.method === 'CONNECT' ? 'CONNECT ' : r.method ? `${r.method} ` : ''}${r.host}${r.port ? `:${r.port}` : ''}`;
  if (!r.allowed) return `blocked ${target}: ${r.reason ?? ''}`;
  return `allowed ${target}${r.address && r.address !== r.host ? ` (${r.address})` : ''}: ${r.bytesUp} bytes up, ${r.bytesDown} down, ${r.ms} ms${r.reason ? `; ${r.reason}` : ''}`;
}

/** Each connection into the job's history, up to `max` of them; then one line saying the rest are not listed. */
export function connectionRecorder(note: (kind: string, message: string, data?: unknown) => void, max = 200): (r: ConnectionRecord) => void {
  let count = 0;
  return (r) => {
    count++;
    if (count <= max) note('network', describeConnection(r), r);
    else if (count === max + 1) note('network', `more than ${max} connections: the rest are not listed one by one`);
  };
}
