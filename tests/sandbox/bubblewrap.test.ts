/**
 * The bubblewrap backend with the real bwrap: the same guarantees as the Docker backend
 * where they apply (no cgroup here, so memory is a per-process limit and the reasons
 * come from what the program said).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { BubblewrapBackend, probeBubblewrap } from '../../src/sandbox/bubblewrap.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/sandbox.js';
import { hostListener, hostProcesses, hostSecret, makeWorkspace, marker, networkProbe, newJobId, runaway as runIn, testLimits, type Runaway } from './helpers.js';

let backend: BubblewrapBackend;
const open: { sandbox: Sandbox; remove(): Promise<void> }[] = [];

beforeAll(async () => {
  const probe = await probeBubblewrap();
  if (!probe.ok) throw new Error(`the bubblewrap tests need bwrap (run scripts/setup/bubblewrap.sh): ${probe.why}`);
  backend = new BubblewrapBackend(probe.features);
});

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.sandbox.close();
    await o.remove();
  }
});

async function openJob(over: Partial<SandboxOptions> = {}): Promise<{ sandbox: Sandbox; ws: Awaited<ReturnType<typeof makeWorkspace>> }> {
  const ws = await makeWorkspace();
  const sandbox = await backend.open({ jobId: newJobId('bwrap'), workspace: ws, network: false, limits: testLimits, ...over });
  open.push({ sandbox, remove: ws.remove });
  return { sandbox, ws };
}

const runaway: Runaway = (script, over) => runIn(backend, script, over);

describe('bubblewrap sandbox: what a command sees', () => {
  test('runs in /workspace as a non-root user with the input and output mounted', async () => {
    const { sandbox, ws } = await openJob();
    const r = await sandbox.run('pwd; id -u; cat input/hello.txt; echo made > output/made.txt; ls /workspace');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\/workspace\n[1-9]\d*\nhello from the inbox\ninput\noutput\n$/);
    expect(await fs.readFile(path.join(ws.output, 'made.txt'), 'utf8')).toBe('made\n');
  });

  test('gets none of the daemon environment, and no capabilities', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test-must-not-leak';
    try {
      const { sandbox } = await openJob();
      const r = await sandbox.run('env; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status');
      expect(r.stdout).not.toContain('sk-ant-test-must-not-leak');
      expect(r.stdout).toContain('HOME=/tmp\n');
      expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
      expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
    }
  });

  test('cannot read a host file outside the workspace, nor most of /etc', async () => {
    const secret = await hostSecret();
    try {
      const { sandbox } = await openJob();
      const r = await sandbox.run(`cat ${secret.file}; cat /etc/shadow; cat /etc/hostname; ls /root /home; touch /usr/x; echo end`);
      expect(r.stdout).toBe('end\n');
      expect(r.stderr).not.toContain(secret.text);
      expect(r.stderr.match(/No such file or directory/g)?.length).toBe(5);
      expect(r.stderr).toMatch(/touch: cannot touch '\/usr\/x': Read-only file system/);
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
  });

  test('keeps /tmp between the commands of a job, and not after', async () => {
    const { sandbox } = await openJob();
    await sandbox.run('echo kept > /tmp/state');
    expect((await sandbox.run('cat /tmp/state')).stdout).toBe('kept\n');
    const other = await openJob();
    expect((await other.sandbox.run('cat /tmp/state')).exitCode).not.toBe(0);
  });
});

describe('bubblewrap sandbox: network', () => {
  let listener: Awaited<ReturnType<typeof hostListener>>;
  beforeAll(async () => { listener = await hostListener(); });
  afterAll(() => listener.close());

  test('reaches nothing by default: no DNS, no host port, only a loopback interface', async () => {
    expect(await listener.reachableFromHost()).toBe(true);
    const { sandbox } = await openJob();
    const r = await sandbox.run(networkProbe(listener.port));
    expect(r.stdout).toBe('dns: failed\ntcp: failed\nlo\n');
  });

  test('a rule with network: true shares the host network', async () => {
    const { sandbox } = await openJob({ network: true });
    const r = await sandbox.run(`python3 -c "import socket; print(socket.create_connection(('127.0.0.1', ${listener.port}), timeout=3).recv(100).decode(), end='')"`);
    expect(r.stdout).toBe('host-service\n');
  });
});

describe('bubblewrap sandbox: limits', () => {
  test('a fork bomb hits the process limit and fails its job', async () => {
    const { r } = await runaway('cp /bin/sleep /tmp/MARK; while :; do /tmp/MARK 600 & done');
    expect(r.failure, JSON.stringify(r)).toMatch(/^process limit of 64 reached/);
  });

  test('the classic fork bomb fails its job too', async () => {
    const { r } = await runaway('f() { f | f & }; f; sleep 2');
    expect(r.failure, JSON.stringify(r)).toMatch(/^process limit of 64 reached/);
  });

  test('a memory hog fails its job as out of memory', async () => {
    const { r } = await runaway('python3 -c "\na = []\nwhile True: a.append(bytearray(10**7))"');
    expect(r.failure, JSON.stringify(r)).toBe('out of memory (limit 256.0 MiB per process)');
  });

  test('an endless loop times out, even one that ignores TERM', async () => {
    const { r } = await runaway("trap '' TERM; while :; do :; done", { timeoutMs: 1000 });
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: true });
    expect(r.failure, JSON.stringify(r)).toBe('command timed out after 1 s');
    expect(r.durationMs).toBeLessThan(1000 + 5000);
  });

  test('a process that escapes its process group dies with the command', async () => {
    const { sandbox } = await openJob();
    const mark = marker();
    const r = await sandbox.run(`cp /bin/sleep /tmp/${mark}; setsid /tmp/${mark} 600 & sleep 0.5; echo started`);
    expect(r.stdout).toBe('started\n');
    expect(await hostProcesses(mark)).toEqual([]); // gone already, not only once the job closes
  });

  test('one big file stops at the write cap', async () => {
    const { r, outputBytes } = await runaway('dd if=/dev/zero of=output/big bs=1M count=500');
    expect(r.failure, JSON.stringify(r)).toMatch(/^write cap exceeded/);
    expect(outputBytes).toBeLessThanOrEqual(testLimits.writeCapBytes + 1 + 4096);
  });

  test('many files are stopped near the write cap, /tmp included', async () => {
    const { r, outputBytes } = await runaway('i=0; while :; do i=$((i+1)); head -c 1048576 /dev/zero > /tmp/f$i; done', { timeoutMs: 60_000 });
    expect(r.failure, JSON.stringify(r)).toMatch(/^write cap exceeded: the job wrote more than 50.0 MiB/);
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: false });
    expect(outputBytes).toBeLessThan(1024 * 1024);
  });
});
