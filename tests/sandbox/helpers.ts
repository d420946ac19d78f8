/**
 * Shared set-up for the sandbox tests: a real Docker engine, the real image, real
 * bwrap, real temp folders. There is no fake here: when the engine or the image is
 * missing these tests fail and say how to get them, since the test set-up provides both
 * (scripts/setup/docker.sh, sandbox/build-offline.sh).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { connectDocker } from '../../src/sandbox/container.js';
import { imageStatus, type ImageStatus } from '../../src/sandbox/image.js';
import { defaultLimits, type SandboxLimits } from '../../src/sandbox/limits.js';
import { measure } from '../../src/sandbox/output.js';
import type { CommandResult, SandboxBackend, SandboxOptions, Workspace } from '../../src/sandbox/sandbox.js';
import { expect } from 'vitest';

export const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Small enough that the hogs in these tests hit them in a second or two. */
export const testLimits: SandboxLimits = {
  ...defaultLimits,
  memoryBytes: 256 * MiB,
  pids: 64,
  tmpBytes: 32 * MiB,
  commandTimeoutMs: 15_000,
  writeCapBytes: 50 * MiB,
};

export async function requireDocker(): Promise<Docker> {
  try {
    return await connectDocker(5000);
  } catch (err) {
    throw new Error(`the sandbox tests need a Docker engine (run scripts/setup/docker.sh): ${String(err)}`);
  }
}

export async function requireImage(docker: Docker): Promise<Extract<ImageStatus, { state: 'present' }>> {
  const image = await imageStatus(docker);
  if (image.state !== 'present') throw new Error(`the sandbox tests need the image (run sandbox/build-offline.sh): ${image.message}`);
  return image;
}

/** Each test file's own owner label, so no file's clean-up touches another's containers. */
export function newOwner(): string {
  return `dropwork-test-${randomBytes(6).toString('hex')}`;
}

export function newJobId(what: string): string {
  return `test-${what}-${randomBytes(4).toString('hex')}`;
}

/** A job workspace as the agent code makes it: root/input (with one file) and root/output. */
export async function makeWorkspace(): Promise<Workspace & { remove(): Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-sandbox-test-'));
  const input = path.join(root, 'input');
  const output = path.join(root, 'output');
  await fs.mkdir(input);
  await fs.mkdir(output);
  await fs.writeFile(path.join(input, 'hello.txt'), 'hello from the inbox\n');
  return { root, input, output, remove: () => fs.rm(root, { recursive: true, force: true }) };
}

/** Ids of the containers labelled for this job (or for any job), stopped ones included. */
export async function jobContainers(docker: Docker, jobId?: string): Promise<string[]> {
  const label = jobId ? `dropwork.job=${jobId}` : 'dropwork.job';
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  return list.map((c) => c.Id);
}

/** Host processes whose command line holds `marker`: what a sandbox left running. */
export async function hostProcesses(marker: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

/** A file on the host outside any workspace, which no sandbox may read. */
export async function hostSecret(): Promise<{ file: string; text: string; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-home-'));
  const text = `secret-${randomBytes(8).toString('hex')}`;
  const file = path.join(dir, 'config.yaml');
  await fs.writeFile(file, text, { mode: 0o644 });
  await fs.chmod(dir, 0o755);
  return { file, text, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

export function marker(): string {
  return `mk${randomBytes(5).toString('hex')}`;
}

/** A TCP service on the host's 127.0.0.1, for checking what a sandbox can reach. */
export async function hostListener(): Promise<{ port: number; reachableFromHost(): Promise<boolean>; close(): Promise<void> }> {
  const server = net.createServer((s) => s.on('error', () => undefined).end('host-service\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    reachableFromHost: () => new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => { socket.destroy(); resolve(true); }).on('error', () => resolve(false));
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Prints "dns: resolved|failed", "tcp: connected|failed" (to the host listener on
 * 127.0.0.1) and the network interfaces the sandbox has. Only loopback traffic: a
 * sandbox without a network has no route for anything else, so nothing leaves.
 */
export function networkProbe(port: number): string {
  return `python3 - <<'PY'
import socket
try:
    socket.getaddrinfo("deb.debian.org", 80); print("dns: resolved")
except OSError: print("dns: failed")
try:
    socket.create_connection(("127.0.0.1", ${port}), timeout=3).recv(100); print("tcp: connected")
except OSError: print("tcp: failed")
PY
tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '`;
}

export type Runaway = (script: string, over?: Partial<SandboxOptions> & { timeoutMs?: number }) => Promise<{ r: CommandResult; outputBytes: number }>;

/**
 * Runs `script` (saved as output/<marker>.sh, so its processes carry the marker; MARK in
 * it becomes the marker too) in a job of its own, closes the job, and checks that nothing
 * of it is left: no container labelled for it, no host process with the marker.
 */
export async function runaway(backend: SandboxBackend, script: string, over: Partial<SandboxOptions> & { timeoutMs?: number } = {}, docker?: Docker): Promise<{ r: CommandResult; outputBytes: number }> {
  const ws = await makeWorkspace();
  const jobId = newJobId('limit');
  const mark = marker();
  const sandbox = await backend.open({ jobId, workspace: ws, network: false, limits: testLimits, ...over });
  try {
    await fs.writeFile(path.join(ws.output, `${mark}.sh`), script.replaceAll('MARK', mark));
    const r = await sandbox.run(`sh output/${mark}.sh`, { timeoutMs: over.timeoutMs ?? 5000 });
    const { bytes } = await measure([ws.output]);
    await sandbox.close();
    if (docker) expect(await jobContainers(docker, jobId)).toEqual([]);
    expect(await hostProcesses(mark)).toEqual([]);
    return { r, outputBytes: bytes };
  } finally {
    await sandbox.close();
    await ws.remove();
  }
}

/**
 * src/sandbox compiled to JavaScript on its own (with src/errors.ts), for tests that need a
 * second Node process running the real code, such as a daemon to kill mid-command.
 */
export async function compileSandbox(): Promise<string> {
  const repo = path.resolve(import.meta.dirname, '..', '..');
  const out = path.join(repo, '.test-artifacts', 'sandbox-dist');
  const files = (await fs.readdir(path.join(repo, 'src', 'sandbox'))).filter((f) => f.endsWith('.ts')).map((f) => path.join(repo, 'src', 'sandbox', f));
  await run(path.join(repo, 'node_modules', '.bin', 'tsc'), ['--outDir', out, '--rootDir', path.join(repo, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--strict', '--skipLibCheck', '--esModuleInterop', '--types', 'node', ...files], { cwd: repo });
  return out;
}
