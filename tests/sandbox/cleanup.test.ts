/**
 * What a crashed daemon leaves: a stopped container still labelled for its job, which the
 * next start removes, and nothing else of anyone's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type Docker from 'dockerode';
import { beforeAll, describe, expect, test } from 'vitest';
import { removeLeftoverContainers } from '../../src/sandbox/cleanup.js';
import { OWNER_LABEL, ownerId } from '../../src/sandbox/container.js';
import { SANDBOX_IMAGE } from '../../src/sandbox/image.js';
import { compileSandbox, jobContainers, makeWorkspace, newJobId, newOwner, requireDocker, requireImage } from './helpers.js';

let docker: Docker;
const owner = newOwner();

beforeAll(async () => {
  docker = await requireDocker();
  await requireImage(docker);
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('left-over containers', () => {
  test('a daemon killed mid-command leaves its container, stopped, and the next start removes it', async () => {
    const dist = await compileSandbox();
    const ws = await makeWorkspace();
    const jobId = newJobId('crash');
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'crash-child.mjs')], {
      env: { ...process.env, SANDBOX_DIST: dist, WORKSPACE: ws.root, JOB_ID: jobId, OWNER: owner },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    try {
      // Wait until the command really runs in the job's container.
      const id = await until('the command to run', async () => {
        const [found] = await jobContainers(docker, jobId);
        if (!found) return undefined;
        const top = await docker.getContainer(found).top().catch(() => undefined);
        return top?.Processes?.some((p: string[]) => p.join(' ').includes('sleep 300')) ? found : undefined;
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // The runner sees its daemon gone, kills the command and ends: the container stops by
      // itself, but stays until someone removes it.
      await until('the container to stop', async () => ((await docker.getContainer(id).inspect()).State.Running ? undefined : true), 15_000);

      const removed = await removeLeftoverContainers(docker, owner);
      expect(removed).toEqual([jobId]);
      expect(await jobContainers(docker, jobId)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await removeLeftoverContainers(docker, owner, jobId);
      await ws.remove();
    }
  });

  test("removes this dropwork's stopped containers too, and leaves another's and unlabelled ones alone", async () => {
    const jobId = newJobId('stale');
    const make = (labels: Record<string, string>): Promise<Docker.Container> =>
      docker.createContainer({ Image: SANDBOX_IMAGE, Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    const stale = await make({ 'dropwork.job': jobId, [OWNER_LABEL]: ownerId(owner) });
    const others = [await make({ 'dropwork.job': jobId, [OWNER_LABEL]: ownerId(newOwner()) }), await make({ 'not.dropwork': '1' })];
    try {
      expect(await removeLeftoverContainers(docker, owner)).toEqual([jobId]);
      await expect(stale.inspect()).rejects.toThrow(/no such container/i);
      for (const other of others) expect((await other.inspect()).Id).toBe(other.id);
    } finally {
      for (const c of [stale, ...others]) await c.remove({ force: true }).catch(() => undefined);
    }
  });
});
