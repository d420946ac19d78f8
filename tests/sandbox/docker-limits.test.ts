/**
 * Runaway commands in the Docker backend: each fails its own job with a reason a person
 * can act on, and leaves no container and no process behind once the job closes.
 */
import type Docker from 'dockerode';
import { beforeAll, describe, expect, test } from 'vitest';
import { DockerBackend } from '../../src/sandbox/docker.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { makeWorkspace, newJobId, newOwner, requireDocker, requireImage, runaway as runIn, testLimits, type Runaway } from './helpers.js';

let docker: Docker;
let backend: DockerBackend;

beforeAll(async () => {
  docker = await requireDocker();
  backend = new DockerBackend(docker, await requireImage(docker), newOwner());
});

const runaway: Runaway = (script, over) => runIn(backend, script, over, docker);

async function openJob(): Promise<{ sandbox: Sandbox; close(): Promise<void> }> {
  const ws = await makeWorkspace();
  const sandbox = await backend.open({ jobId: newJobId('escape'), workspace: ws, network: false, limits: testLimits });
  return { sandbox, close: async () => { await sandbox.close(); await ws.remove(); } };
}

describe('docker sandbox: limits', () => {
  test('a fork bomb hits the process limit and fails its job', async () => {
    // A copy of sleep named after the marker, so the processes it leaves are findable on the host.
    const { r } = await runaway('cp /bin/sleep /tmp/MARK; while :; do /tmp/MARK 600 & done');
    expect(r.failure, JSON.stringify(r)).toMatch(/^process limit of 64 reached/);
  });

  test('a fork bomb that keeps trying is stopped at its timeout', async () => {
    const { r } = await runaway('cp /bin/sleep /tmp/MARK; python3 -c "\nimport os, time\nwhile True:\n  try: os.fork() == 0 and os.execv(\'/tmp/MARK\', [\'s\', \'600\'])\n  except OSError: time.sleep(0.01)"', { timeoutMs: 3000 });
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: true });
    expect(r.failure, JSON.stringify(r)).toBe('process limit of 64 reached; command timed out after 3 s');
    expect(r.jobLimit).toBe(true);
  });

  test('the classic fork bomb, which gives up on its own, still fails its job', async () => {
    const { r } = await runaway('f() { f | f & }; f; sleep 2');
    expect(r.failure, JSON.stringify(r)).toMatch(/process limit of 64 reached/);
  });

  test('a memory hog is killed and fails its job as out of memory', async () => {
    const { r } = await runaway('python3 -c "\na = []\nwhile True: a.append(bytearray(10**7))"');
    expect(r.exitCode).toBe(137);
    expect(r.failure, JSON.stringify(r)).toBe('out of memory (limit 256.0 MiB)');
    expect(r.jobLimit).toBe(true);
  });

  test('an endless loop times out', async () => {
    const { r } = await runaway('while :; do :; done', { timeoutMs: 1500 });
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: true });
    expect(r.failure, JSON.stringify(r)).toBe('command timed out after 1.5 s');
    // A timeout alone is the command's, not the job's: the model is told and the job goes on.
    expect(r.jobLimit).toBeUndefined();
    expect(r.durationMs).toBeLessThan(1500 + 4000);
  });

  test('a command that ignores TERM is killed at its timeout all the same', async () => {
    const { r } = await runaway("trap '' TERM; while :; do :; done", { timeoutMs: 1000 });
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: true });
    expect(r.durationMs).toBeLessThan(1000 + 5000);
  });

  test('a process that escapes its process group ends with its command', async () => {
    const job = await openJob();
    try {
      const r = await job.sandbox.run('cp /bin/sleep /tmp/escapee; setsid /tmp/escapee 600 & sleep 0.5; echo started');
      expect(r.stdout, JSON.stringify(r)).toBe('started\n');
      const after = await job.sandbox.run('cat /proc/[0-9]*/comm | grep -c escapee || true');
      expect(after.stdout).toBe('0\n');
    } finally {
      await job.close();
    }
  });

  test('the job wall clock bounds all commands together', async () => {
    const { r } = await runaway('sleep 30', { limits: { ...testLimits, jobWallMs: 1500 }, timeoutMs: 60_000 });
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: true });
    expect(r.failure, JSON.stringify(r)).toMatch(/^job wall-clock limit of 1.5 s reached/);
    expect(r.jobLimit).toBe(true);
  });

  test('one big file stops at the write cap', async () => {
    const { r, outputBytes } = await runaway('dd if=/dev/zero of=output/big bs=1M count=500');
    expect(r.failure, JSON.stringify(r)).toMatch(/^write cap exceeded/);
    expect(r.jobLimit).toBe(true);
    expect(outputBytes).toBeLessThanOrEqual(testLimits.writeCapBytes + 1 + 4096);
  });

  test('many files are stopped near the write cap, long before the disk fills', async () => {
    const { r, outputBytes } = await runaway('i=0; while :; do i=$((i+1)); head -c 1048576 /dev/zero > output/f$i; done', { timeoutMs: 60_000 });
    expect(r.failure, JSON.stringify(r)).toMatch(/^write cap exceeded: the job wrote more than 50.0 MiB/);
    expect(r, JSON.stringify(r)).toMatchObject({ timedOut: false });
    expect(outputBytes).toBeLessThan(testLimits.writeCapBytes * 4);
  });

  test('too many small files also break the cap', async () => {
    const { r } = await runaway('mkdir output/many; cd output/many; i=0; while :; do i=$((i+1)); : > f$i; done', { limits: { ...testLimits, maxOutputFiles: 500 }, timeoutMs: 60_000 });
    expect(r.failure, JSON.stringify(r)).toBe('write cap exceeded: more than 500 files');
  });

  test('filling /tmp fails the command, not the host', async () => {
    const { r } = await runaway('dd if=/dev/zero of=/tmp/fill bs=1M count=500');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/No space left on device/);
  });
});
