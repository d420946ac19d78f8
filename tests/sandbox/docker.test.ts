/**
 * The Docker backend against a real engine and the real image: what a job's commands
 * can see, reach and write, and that each runaway command fails only its own job and
 * leaves nothing behind.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DockerBackend } from '../../src/sandbox/docker.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/sandbox.js';
import { hostListener, hostSecret, jobContainers, makeWorkspace, networkProbe, newJobId, newOwner, requireDocker, requireImage, testLimits } from './helpers.js';

let docker: Docker;
let backend: DockerBackend;
const open: { sandbox: Sandbox; remove(): Promise<void> }[] = [];

beforeAll(async () => {
  docker = await requireDocker();
  backend = new DockerBackend(docker, await requireImage(docker), newOwner());
});

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.sandbox.close();
    await o.remove();
  }
});

async function openJob(over: Partial<SandboxOptions> = {}): Promise<{ sandbox: Sandbox; jobId: string; ws: Awaited<ReturnType<typeof makeWorkspace>> }> {
  const ws = await makeWorkspace();
  const jobId = over.jobId ?? newJobId('docker');
  const sandbox = await backend.open({ jobId, workspace: ws, network: false, limits: testLimits, ...over });
  open.push({ sandbox, remove: ws.remove });
  return { sandbox, jobId, ws };
}

describe('docker sandbox: what a command sees', () => {
  test('runs in /workspace as a non-root user with the input and output mounted', async () => {
    const { sandbox, ws } = await openJob();
    const r = await sandbox.run('pwd; id -u; cat input/hello.txt; echo made > output/made.txt; ls /workspace');
    expect(r.exitCode).toBe(0);
    const [pwd, uid, hello, ...ls] = r.stdout.trim().split('\n');
    expect(pwd).toBe('/workspace');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(hello).toBe('hello from the inbox');
    expect(ls).toEqual(['input', 'output']);
    expect(await fs.readFile(path.join(ws.output, 'made.txt'), 'utf8')).toBe('made\n');
    expect(sandbox.imageId).toMatch(/^sha256:/);
  });

  test('gets none of the daemon environment', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test-must-not-leak';
    try {
      const { sandbox } = await openJob();
      const r = await sandbox.run('env');
      expect(r.stdout).not.toContain('sk-ant-test-must-not-leak');
      const names = r.stdout.trim().split('\n').map((l) => l.split('=')[0]).sort();
      expect(names).toEqual(['HOME', 'LANG', 'PATH', 'PWD']);
      expect(r.stdout).toContain('HOME=/tmp\n');
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
    }
  });

  test('has no capabilities, no new privileges, and a read-only root filesystem', async () => {
    const { sandbox } = await openJob();
    const r = await sandbox.run('grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; touch /usr/x 2>&1; touch /tmp/ok && echo tmp-ok');
    expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
    expect(r.stdout).toMatch(/CapBnd:\s+0+\n/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toMatch(/Read-only file system/);
    expect(r.stdout).toContain('tmp-ok');
  });

  test('cannot read a host file outside the workspace', async () => {
    const secret = await hostSecret();
    try {
      const { sandbox } = await openJob();
      const r = await sandbox.run(`cat ${secret.file}; grep -rs ${secret.text} / --exclude-dir=proc --exclude-dir=sys; echo done`);
      expect(r.stdout + r.stderr).not.toContain(`${secret.text}\n`);
      expect(r.stderr).toContain('No such file or directory');
    } finally {
      await secret.remove();
    }
  });

  test('cannot write input/, even where file modes would allow it', async () => {
    const { sandbox, ws } = await openJob();
    await fs.chmod(ws.input, 0o777);
    await fs.chmod(path.join(ws.input, 'hello.txt'), 0o666);
    const r = await sandbox.run('touch input/new.txt; echo changed >> input/hello.txt; rm -f input/hello.txt; echo end');
    expect(r.stderr.match(/Read-only file system/g)?.length).toBe(3);
    expect(await fs.readFile(path.join(ws.input, 'hello.txt'), 'utf8')).toBe('hello from the inbox\n');
    expect(await fs.readdir(ws.input)).toEqual(['hello.txt']);
  });
});

describe('docker sandbox: network', () => {
  let listener: Awaited<ReturnType<typeof hostListener>>;
  beforeAll(async () => { listener = await hostListener(); });
  afterAll(() => listener.close());

  test('reaches nothing by default: no DNS, no host port, only a loopback interface', async () => {
    expect(await listener.reachableFromHost()).toBe(true); // so a failure inside means something
    const { sandbox } = await openJob();
    const r = await sandbox.run(networkProbe(listener.port));
    expect(r.stdout).toBe('dns: failed\ntcp: failed\nlo\n');
  });

  test('a rule with network: true gets an interface', async () => {
    const { sandbox } = await openJob({ network: true });
    const r = await sandbox.run('ls /sys/class/net');
    expect(r.stdout.split('\n')).toContain('eth0');
  });
});

describe('docker sandbox: one container per job', () => {
  test('is created on the first command, reused after, and removed on close', async () => {
    const { sandbox, jobId } = await openJob();
    expect(await jobContainers(docker, jobId)).toHaveLength(0);
    await sandbox.run('echo kept > /tmp/state');
    const first = await jobContainers(docker, jobId);
    expect(first).toHaveLength(1);
    const r = await sandbox.run('cat /tmp/state');
    expect(r.stdout).toBe('kept\n');
    expect(await jobContainers(docker, jobId)).toEqual(first);
    await sandbox.close();
    expect(await jobContainers(docker, jobId)).toHaveLength(0);
    await expect(sandbox.run('true')).rejects.toThrow(/closed/);
  });

  test('a command that kills everything it can costs only its own result: the runner is PID 1, out of its reach', async () => {
    const { sandbox, jobId } = await openJob();
    await sandbox.run('echo kept > /tmp/state');
    const r = await sandbox.run('kill -9 -1; kill -9 1; echo "still here: $?"');
    expect(r.stdout).toBe('still here: 0\n');
    const next = await sandbox.run('cat /tmp/state 2>/dev/null || echo fresh');
    expect(next.stdout).toBe('kept\n');
    expect(await jobContainers(docker, jobId)).toHaveLength(1);
  });

  test('long output is cut for the model, saying how long it was', async () => {
    const { sandbox } = await openJob();
    const r = await sandbox.run('seq 1 200000');
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBeLessThan(testLimits.shownOutputBytes + 200);
    expect(r.stdout).toMatch(/^1\n2\n3\n/);
    expect(r.stdout).toMatch(/left out: 1\.\d MiB in all/);
    expect(r.stdout.endsWith('199999\n200000\n')).toBe(true);
  });

  test('a cancelled command stops at once', async () => {
    const { sandbox } = await openJob();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const r = await sandbox.run('sleep 60', { signal: ac.signal });
    expect(r.failure).toBe('cancelled');
    expect(r.durationMs).toBeLessThan(5000);
  });
});
