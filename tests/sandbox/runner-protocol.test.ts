/**
 * The runner's protocol against the commands it runs (issue 11): a command cannot write a
 * frame into the runner's stream, cannot read the runner's memory (the nonce), and nothing
 * it leaves running survives its end: confirmed from the host, not from the runner.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DockerBackend } from '../../src/sandbox/docker.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { jobContainers, makeWorkspace, newJobId, newOwner, requireDocker, requireImage, testLimits } from './helpers.js';

let docker: Docker;
let sandbox: Sandbox;
let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const jobId = newJobId('protocol');

beforeAll(async () => {
  docker = await requireDocker();
  const backend = new DockerBackend(docker, await requireImage(docker), newOwner());
  ws = await makeWorkspace();
  sandbox = await backend.open({ jobId, workspace: ws, network: false, limits: testLimits });
});
afterAll(async () => {
  await sandbox.close();
  await ws.remove();
});

/** The processes of the job's container as the engine lists them (host side). */
async function containerProcesses(): Promise<string[][]> {
  const [id] = await jobContainers(docker, jobId);
  if (!id) return [];
  const top = (await docker.getContainer(id).top({ ps_args: '-eo pid,args' })) as { Processes?: string[][] };
  return top.Processes ?? [];
}

describe('docker runner: out of the commands\' reach', () => {
  test('a command cannot reach the runner\'s stream, memory or fds', async () => {
    // A complete end frame ('x', length, JSON) aimed at every process's stdout.
    const frame = String.raw`printf 'x\000\000\000\037{"exit":0,"timedOut":false}'`;
    const r = await sandbox.run(`for p in /proc/[0-9]*; do ${frame} > $p/fd/1 2>/dev/null && echo "wrote $p"; done; cat /proc/1/environ >/dev/null 2>&1 && echo read-environ; head -c1 /proc/1/mem >/dev/null 2>&1 && echo read-mem; ls /proc/1/fd >/dev/null 2>&1 && echo listed-fds; echo checked; exit 3`);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).not.toMatch(/wrote \/proc\/1\b|read-environ|read-mem|listed-fds/);
    expect(r.stdout).toContain('checked');
    const after = await sandbox.run('echo next');
    expect(after.stdout).toBe('next\n');
  });

  test('nothing a command left running survives it, seen from the host', async () => {
    const r = await sandbox.run('setsid sh -c "while true; do sleep 0.05; done" </dev/null >/dev/null 2>&1 & nohup sleep 300 >/dev/null 2>&1 & echo started');
    expect(r.stdout).toBe('started\n');
    const procs = await containerProcesses();
    expect(procs.map((p) => p.join(' ')).filter((l) => !l.includes('python3'))).toEqual([]);
    expect(procs).toHaveLength(1);
  });

  test('a background process cannot swap output/d for a link while the daemon looks', async () => {
    await sandbox.run(`mkdir -p output/d; (while true; do rm -rf output/d; ln -s / output/d; rm -f output/d; mkdir output/d; done) >/dev/null 2>&1 & sleep 0.3; echo bye`);
    // Between commands nothing moves: the state seen twice, a while apart, is the same.
    const first = await fs.lstat(path.join(ws.output, 'd')).then((s) => s.isSymbolicLink(), () => 'absent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await fs.lstat(path.join(ws.output, 'd')).then((s) => s.isSymbolicLink(), () => 'absent');
    expect(second).toBe(first);
    expect(await containerProcesses()).toHaveLength(1);
  });
});
