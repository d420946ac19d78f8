import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real PostgreSQL server for the tests: Debian's `postgresql`, a throwaway cluster made with
 * initdb in a temporary folder and started with pg_ctl as the `postgres` user (PostgreSQL refuses
 * to run as root), on a free port. Nothing is mocked. DROPWORK_TEST_POSTGRES=postgres://... uses
 * a running server instead.
 */
export interface Cluster {
  /** A URL for a new, empty database on it. */
  database(): string;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  stop(): void;
  start(): void;
  close(): void;
  readonly url: string;
}

export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (apt-get install postgresql; scripts/setup/system.sh does it)');
  return path.join(root, versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
    s.on('error', reject);
  });
}

function asPostgres(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const root = process.getuid?.() === 0;
  const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function startCluster(): Promise<Cluster> {
  const given = process.env.DROPWORK_TEST_POSTGRES;
  if (given) return external(given);
  const bin = postgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'sock');
  fs.mkdirSync(sock);
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  asPostgres(path.join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const log = path.join(dir, 'server.log');
  const start = (): void => {
    asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  };
  const stop = (): void => {
    asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], { allowFail: true });
  };
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    database: () => {
      const name = `t_${randomBytes(5).toString('hex')}`;
      asPostgres(path.join(bin, 'psql'), ['-h', sock, '-p', String(port), '-U', 'postgres', '-c', `CREATE DATABASE ${name}`]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    close: () => {
      stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function external(url: string): Cluster {
  const bin = postgresBin();
  return {
    url,
    database: () => {
      const name = `t_${randomBytes(5).toString('hex')}`;
      execFileSync(path.join(bin, 'psql'), [url, '-c', `CREATE DATABASE ${name}`], { stdio: 'ignore' });
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop: () => { throw new Error('cannot restart an external server'); },
    start: () => { throw new Error('cannot restart an external server'); },
    close: () => undefined,
  };
}
