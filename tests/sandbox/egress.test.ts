/**
 * A rule's network allowlist with the real sandboxes (Docker with the dropwork image, and
 * bubblewrap), the real egress proxy and real services on the host's 127.0.0.1: what is
 * named answers, everything else is refused with the reason, and every connection is
 * recorded for the job's history.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BubblewrapBackend, probeBubblewrap } from '../../src/sandbox/bubblewrap.js';
import { DockerBackend } from '../../src/sandbox/docker.js';
import type { ConnectionRecord } from '../../src/sandbox/egress/proxy.js';
import type { Sandbox, SandboxBackend, SandboxOptions } from '../../src/sandbox/sandbox.js';
import { allowedService, hostAddresses, otherService, pythonFetch, tlsService, type TestService } from './egress-helpers.js';
import { makeWorkspace, newJobId, newOwner, requireDocker, requireImage, testLimits } from './helpers.js';

let allowed: TestService;
let other: TestService;
let tls: TestService;
const backends: Record<'docker' | 'bubblewrap', SandboxBackend | undefined> = { docker: undefined, bubblewrap: undefined };

beforeAll(async () => {
  [allowed, other, tls] = await Promise.all([allowedService(), otherService(), tlsService()]);
  const docker = await requireDocker();
  backends.docker = new DockerBackend(docker, await requireImage(docker), newOwner());
  const probe = await probeBubblewrap();
  if (!probe.ok) throw new Error(`these tests need bwrap (run scripts/setup/bubblewrap.sh): ${probe.why}`);
  backends.bubblewrap = new BubblewrapBackend(probe.features);
});

afterAll(async () => {
  await Promise.all([allowed?.close(), other?.close(), tls?.close()]);
});

interface Job { sandbox: Sandbox; records: ConnectionRecord[]; close(): Promise<void> }

async function openJob(kind: 'docker' | 'bubblewrap', allow: string[], over: Partial<SandboxOptions> = {}): Promise<Job> {
  const ws = await makeWorkspace();
  const records: ConnectionRecord[] = [];
  const backend = backends[kind] as SandboxBackend;
  const sandbox = await backend.open({ jobId: newJobId('egress'), workspace: ws, network: { allow }, limits: testLimits, onConnection: (r) => records.push(r), ...over });
  return { sandbox, records, close: async () => { await sandbox.close(); await ws.remove(); } };
}

const allowList = (): string[] => [`127.0.0.1:${allowed.port}`, `127.0.0.1:${tls.port}`];

describe.each(['docker', 'bubblewrap'] as const)('network allowlist in %s', (kind) => {
  test('the allowed host answers through the proxy; another is refused with the reason, and nothing reaches it', async () => {
    const job = await openJob(kind, allowList());
    try {
      const a = `http://127.0.0.1:${allowed.port}/hello`;
      const b = `http://127.0.0.1:${other.port}/data`;
      const r = await job.sandbox.run(pythonFetch([a, b]));
      expect(r.stdout).toContain(`${a} -> 200 allowed-service /hello`);
      expect(r.stdout).toContain(`${b} -> error: 403 blocked: 127.0.0.1:${other.port} is not in this rule's network allowlist`);
      expect(r.network).toEqual([`network: blocked 127.0.0.1:${other.port}: 127.0.0.1:${other.port} is not in this rule's network allowlist (it allows 127.0.0.1:${allowed.port}, not port ${other.port})`]);
      expect(other.seen).toEqual([]);
      const ok = job.records.find((x) => x.allowed);
      expect(ok).toMatchObject({ method: 'GET', host: '127.0.0.1', port: allowed.port, allowed: true });
      expect(ok?.bytesUp).toBeGreaterThan(0);
      expect(ok?.bytesDown).toBeGreaterThan(0);
      expect(job.records.find((x) => !x.allowed)).toMatchObject({ host: '127.0.0.1', port: other.port, allowed: false });
    } finally {
      await job.close();
    }
  });

  test('HTTPS (CONNECT) to an allowed host:port passes, to another is refused', async () => {
    const job = await openJob(kind, allowList());
    try {
      const a = `https://127.0.0.1:${tls.port}/secure`;
      const b = `https://127.0.0.1:${other.port}/secure`;
      const r = await job.sandbox.run(pythonFetch([a, b]));
      expect(r.stdout).toContain(`${a} -> 200 tls-service /secure`);
      expect(r.stdout).toMatch(new RegExp(`${b.replace(/[/.]/g, '\\$&')} -> error: .*Tunnel connection failed: 403 blocked: 127.0.0.1:${other.port} is not in this rule's network allowlist`));
      expect(job.records.map((x) => [x.method, x.port, x.allowed])).toEqual(expect.arrayContaining([['CONNECT', tls.port, true], ['CONNECT', other.port, false]]));
    } finally {
      await job.close();
    }
  });

  test('curl works unchanged through the proxy variables', async () => {
    const job = await openJob(kind, allowList());
    try {
      const r = await job.sandbox.run(`command -v curl >/dev/null || { echo "no curl in this sandbox"; exit 0; }
curl -s http://127.0.0.1:${allowed.port}/curl; curl -s http://127.0.0.1:${other.port}/curl; curl -sk https://127.0.0.1:${tls.port}/curl; curl -sk https://127.0.0.1:${other.port}/x; echo "curl exit $?"`);
      expect(r.stdout).toContain('allowed-service /curl');
      expect(r.stdout).toContain(`blocked: 127.0.0.1:${other.port} is not in this rule's network allowlist`);
      expect(r.stdout).toContain('tls-service /curl');
      expect(r.stdout).toContain('curl exit 56'); // CONNECT refused
      expect(other.seen).toEqual([]);
    } finally {
      await job.close();
    }
  });

  test('no DNS inside, and the host\'s other addresses are refused unless named', async () => {
    const job = await openJob(kind, allowList());
    try {
      const targets = ['169.254.169.254', ...hostAddresses()].map((h) => `http://${h}:${allowed.port}/meta`);
      const r = await job.sandbox.run(`python3 -c "
import socket
try: socket.getaddrinfo('deb.debian.org', 443); print('dns: resolved')
except OSError as e: print('dns: failed')
"
tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
${pythonFetch(targets)}`);
      expect(r.stdout).toContain('dns: failed');
      expect(r.stdout).toMatch(/^lo$/m);
      expect(r.stdout).not.toMatch(/^eth0$/m);
      expect(hostAddresses().length).toBeGreaterThan(0);
      for (const t of targets) expect(r.stdout).toContain(`${t} -> error: 403 blocked: ${new URL(t).hostname} is not in this rule's network allowlist`);
      expect(allowed.seen).not.toContain('/meta');

    } finally {
      await job.close();
    }
  });
});
