/**
 * Services on the host's 127.0.0.1 for the network allowlist tests: an HTTP server the rule
 * allows (with a redirect to the other one, for smuggling), an HTTP server it does not (which
 * records every request, so "refused" means nothing arrived), and an HTTPS server with a
 * throwaway self-signed certificate (openssl), for CONNECT.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TestService {
  port: number;
  /** Paths requested so far. */
  readonly seen: string[];
  close(): Promise<void>;
}

function listen(server: http.Server | https.Server, seen: string[]): Promise<TestService> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise<void>((done) => { for (const s of sockets) s.destroy(); server.close(() => done()); }),
  })));
}

/** Answers `allowed-service <path>`; `/redirect?to=URL` answers 302 to URL. */
export function allowedService(): Promise<TestService> {
  const seen: string[] = [];
  return listen(http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) { res.writeHead(302, { location: to }); res.end(); return; }
    res.end(`allowed-service ${req.url}\n`);
  }), seen);
}

export function otherService(): Promise<TestService> {
  const seen: string[] = [];
  return listen(http.createServer((req, res) => { seen.push(req.url ?? ''); res.end('other-service\n'); }), seen);
}

export async function tlsService(): Promise<TestService> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert]);
  const seen: string[] = [];
  const server = https.createServer({ key: await fs.readFile(key), cert: await fs.readFile(cert) }, (req, res) => { seen.push(req.url ?? ''); res.end(`tls-service ${req.url}\n`); });
  await fs.rm(dir, { recursive: true, force: true });
  return listen(server, seen);
}

/** The host's addresses other than loopback: its LAN address, the Docker bridge's gateway (172.17.0.1 by default). */
export function hostAddresses(): string[] {
  const own = Object.values(os.networkInterfaces()).flatMap((l) => l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
  return [...new Set([...own, '172.17.0.1'])];
}

/** A Python fetch that prints `URL -> status body` or `URL -> error: reason`; https without verification (a throwaway certificate). */
export function pythonFetch(urls: string[]): string {
  return `python3 - <<'PY'
import ssl, urllib.request, urllib.error
ctx = ssl._create_unverified_context()
for url in ${JSON.stringify(urls)}:
    try:
        r = urllib.request.urlopen(url, timeout=10, context=ctx)
        print(url, '->', r.status, r.read().decode().strip())
    except urllib.error.HTTPError as e:
        print(url, '-> error:', e.code, e.reason)
    except Exception as e:
        print(url, '-> error:', e)
PY`;
}
